import type { EachBatchPayload } from 'kafkajs';
import type { Kafka } from '../platform/kafka/client.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import { type HubProducer, type OutgoingRecord, type TransactionalProducer, createTransactionalProducer, sendInOrder } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { Logger } from '../platform/logger.ts';
import { cleanTopic, cleanTopicPrefix, groups, topicSpecs } from '../contract/names.ts';
import { TopicFollower } from '../platform/kafka/topic-follower.ts';
import { outboxHeaders, parseOutboxId } from '../contract/headers.ts';
import type { Projection } from './share-schema.ts';

/** One share topic the streamer feeds: a grant's projection of one dataset. */
export interface ShareTarget {
  grantId: string;
  projection: Projection;
  schemaId: number;
}

export interface ShareStreamerOptions {
  kafka: Kafka;
  admin: HubAdmin;
  producer: HubProducer;
  registry: RegistryClient;
  log: Logger;
  /** The targets of the grants being streamed (pending and active), read again on every refresh(). */
  load: () => Promise<ShareTarget[]>;
  /**
   * Every dataset whose clean topic is followed, grant or not: the consumer then runs before a grant
   * comes, and a new grant only changes the targets, never the subscription (no group join on the way).
   */
  datasets: () => Promise<string[]>;
  groupId?: string;
  /** This hub's outbox origin (its database schema): records it relayed twice are streamed once. */
  outboxOrigin?: string;
}

/** Encodes one target's share record for a clean record (null value = tombstone). */
export async function shareRecord(registry: RegistryClient, target: ShareTarget, key: string, clean: Record<string, unknown> | null): Promise<OutgoingRecord> {
  const value = clean === null ? null : await registry.encode(target.schemaId, target.projection.value(clean));
  return { key: target.projection.key(key), value, headers: { 'hub-grant': target.grantId } };
}

/**
 * One consumer group over the clean topics of every dataset in the catalog: each clean record is
 * projected and masked into every share topic of its dataset (records of datasets no grant shares
 * are passed over). A batch's share records and its offset commit in one Kafka transaction, so a
 * streamer killed mid-batch repeats nothing and loses nothing. hold()/release() bracket a grant's
 * backfill: what arrives meanwhile is buffered and sent after the backfilled state, so a newer
 * version is never overwritten by the older snapshot. Run one streamer per hub (sharing/workers.ts
 * elects it): holds are local to the process.
 */
export class ShareStreamer {
  readonly #o: ShareStreamerOptions;
  readonly #log: Logger;
  readonly #follower: TopicFollower<ShareTarget[]>;
  #held = new Map<string, { topic: string; record: OutgoingRecord }[]>();
  readonly #groupId: string;
  #tx: Promise<TransactionalProducer> | null = null;
  /** Per clean topic partition, the highest outbox row id streamed (committed as offset metadata). */
  #marks = new Map<string, bigint | null>();
  #lock: Promise<void> = Promise.resolve();

  constructor(options: ShareStreamerOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'share-streamer' });
    this.#groupId = options.groupId ?? groups.shareStreamer;
    this.#follower = new TopicFollower<ShareTarget[]>({
      kafka: options.kafka,
      groupId: this.#groupId,
      log: this.#log,
      what: 'streaming clean topics to share topics',
      // A dead leader's membership blocks the next one's join until this passes.
      consumer: { maxWaitTimeInMs: 100, sessionTimeout: 10_000 },
      // Offsets are committed inside the share records' transactions only.
      run: { autoCommit: false },
      // The clean topics are compacted: a dataset new to the group read from its start is each key's latest state.
      async load() {
        const byTopic = new Map<string, ShareTarget[]>();
        for (const d of await options.datasets()) byTopic.set(cleanTopic(d), []);
        for (const t of await options.load()) {
          const topic = cleanTopic(t.projection.dataset);
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), t]);
        }
        return byTopic;
      },
      beforeRestart: async (byTopic) => {
        await options.admin.ensureTopics([...byTopic.keys()].map((topic) => topicSpecs.clean(topic.slice(cleanTopicPrefix.length))));
      },
      eachBatch: (targets, payload) => this.#exclusive(() => this.#onBatch(targets, payload)),
    });
  }

  start(): Promise<void> {
    return this.refresh();
  }

  /** Follows the grants: reloads the targets, and resubscribes when the set of datasets changed. */
  refresh(): Promise<void> {
    return this.#follower.refresh();
  }

  /** From now until release(), records for this grant are buffered instead of sent. */
  hold(grantId: string): void {
    if (!this.#held.has(grantId)) this.#held.set(grantId, []);
  }

  /** Sends what was buffered for the grant, in arrival order, then streams it live. */
  release(grantId: string): Promise<void> {
    return this.#exclusive(async () => {
      const buffered = this.#held.get(grantId) ?? [];
      await this.#sendAll(buffered);
      this.#held.delete(grantId);
    });
  }

  /** Resolves once every batch handed out before this call is sent (a revoke waits before deleting topics). */
  drain(): Promise<void> {
    return this.#exclusive(async () => undefined);
  }

  /** Drops a grant's buffer (its activation failed or it was revoked). */
  forget(grantId: string): void {
    this.#held.delete(grantId);
  }

  async stop(): Promise<void> {
    await this.#follower.stop();
    this.#marks.clear();
    const tx = this.#tx;
    this.#tx = null;
    await (await tx?.catch(() => null))?.close().catch((err: unknown) => this.#log.warn({ err }, 'closing the transactional producer failed'));
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #sendAll(records: readonly { topic: string; record: OutgoingRecord }[]): Promise<void> {
    return sendInOrder(this.#o.producer, records);
  }

  /** A partition's mark: from memory, or as the last transaction committed it (after a takeover). */
  async #markOf(topic: string, partition: number): Promise<bigint | null> {
    const key = `${topic}:${partition}`;
    if (this.#marks.has(key)) return this.#marks.get(key) ?? null;
    const admin = this.#o.kafka.admin();
    try {
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: this.#groupId, topics: [topic] });
      for (const p of committed?.partitions ?? []) {
        const stored = p.metadata;
        this.#marks.set(`${topic}:${p.partition}`, stored && /^\d+$/.test(stored) ? BigInt(stored) : null);
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    return this.#marks.get(key) ?? null;
  }

  /** The group id doubles as the transactional id: one streamer per group, and the next one fences the last. */
  #transactions(): Promise<TransactionalProducer> {
    this.#tx ??= createTransactionalProducer({ kafka: this.#o.kafka, transactionalId: this.#groupId }).catch((err: unknown) => {
      this.#tx = null;
      throw err;
    });
    return this.#tx;
  }

  async #onBatch(targets: readonly ShareTarget[], { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const out: { topic: string; record: OutgoingRecord }[] = [];
    let last: string | null = null;
    let mark = await this.#markOf(batch.topic, batch.partition);
    let repeats = 0;
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break;
      last = m.offset;
      const header = m.headers?.[outboxHeaders.id];
      const row = header === undefined || Array.isArray(header) ? null : parseOutboxId(header.toString());
      if (row && row.origin === this.#o.outboxOrigin) {
        // The relay sent this row again after a crash: its first copy was streamed already.
        if (mark !== null && row.id <= mark) {
          repeats++;
          continue;
        }
        mark = row.id;
      }
      const key = m.key?.toString();
      if (key === undefined || targets.length === 0) continue;
      let clean: Record<string, unknown> | null = null;
      try {
        clean = m.value === null ? null : await this.#o.registry.decode<Record<string, unknown>>(m.value);
      } catch (err) {
        // A clean record the hub itself wrote and cannot read is a bug, not data: retrying will not help.
        this.#log.error({ topic: batch.topic, partition: batch.partition, offset: m.offset, err }, 'clean record not decodable; skipped');
        continue;
      }
      for (const t of targets) {
        const entry = { topic: t.projection.topic, record: await shareRecord(this.#o.registry, t, key, clean) };
        const held = this.#held.get(t.grantId);
        if (held) held.push(entry);
        else out.push(entry);
      }
    }
    if (last === null) return;
    // The share records and the clean topic's offset commit together: a streamer killed in between
    // leaves an aborted transaction, never a record sent twice.
    if (repeats > 0) this.#log.info({ topic: batch.topic, partition: batch.partition, repeats }, 'skipped clean records the outbox relay sent twice');
    const tx = await this.#transactions();
    await tx.sendWithOffset(out, {
      groupId: this.#groupId,
      topic: batch.topic,
      partition: batch.partition,
      offset: (BigInt(last) + 1n).toString(),
      metadata: mark === null ? null : mark.toString(),
    });
    this.#marks.set(`${batch.topic}:${batch.partition}`, mark);
    resolveOffset(last);
    await heartbeat();
  }
}
