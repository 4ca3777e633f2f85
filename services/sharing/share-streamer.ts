import type { EachBatchPayload } from 'kafkajs';
import type { Kafka } from '../platform/kafka/client.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import { type HubProducer, type OutgoingRecord, sendInOrder } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { Logger } from '../platform/logger.ts';
import { cleanTopic, cleanTopicPrefix, groups, topicSpecs } from '../contract/names.ts';
import { TopicFollower } from '../platform/kafka/topic-follower.ts';
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
}

/** Encodes one target's share record for a clean record (null value = tombstone). */
export async function shareRecord(registry: RegistryClient, target: ShareTarget, key: string, clean: Record<string, unknown> | null): Promise<OutgoingRecord> {
  const value = clean === null ? null : await registry.encode(target.schemaId, target.projection.value(clean));
  return { key: target.projection.key(key), value, headers: { 'hub-grant': target.grantId } };
}

/**
 * One consumer group over the clean topics of every dataset in the catalog: each clean record is
 * projected and masked into every share topic of its dataset (records of datasets no grant shares
 * are passed over). Offsets are committed after the share
 * records are acknowledged, so a crash repeats (the share topics are compacted and keyed) but never
 * loses. hold()/release() bracket a grant's backfill: what arrives meanwhile is buffered and sent
 * after the backfilled state, so a newer version is never overwritten by the older snapshot.
 * Run one streamer per hub: holds are local to the process.
 */
export class ShareStreamer {
  readonly #o: ShareStreamerOptions;
  readonly #log: Logger;
  readonly #follower: TopicFollower<ShareTarget[]>;
  #held = new Map<string, { topic: string; record: OutgoingRecord }[]>();
  #lock: Promise<void> = Promise.resolve();

  constructor(options: ShareStreamerOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'share-streamer' });
    this.#follower = new TopicFollower<ShareTarget[]>({
      kafka: options.kafka,
      groupId: options.groupId ?? groups.shareStreamer,
      log: this.#log,
      what: 'streaming clean topics to share topics',
      consumer: { maxWaitTimeInMs: 100 },
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

  stop(): Promise<void> {
    return this.#follower.stop();
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

  async #onBatch(
    targets: readonly ShareTarget[],
    { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload,
  ): Promise<void> {
    const out: { topic: string; record: OutgoingRecord }[] = [];
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) break;
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
    await this.#sendAll(out);
    const last = batch.messages[batch.messages.length - 1];
    if (last && isRunning() && !isStale()) resolveOffset(last.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  }
}
