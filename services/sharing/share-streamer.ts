import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Kafka } from '../platform/kafka/client.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { HubProducer, OutgoingRecord } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { Logger } from '../platform/logger.ts';
import { errorMessage } from '../platform/errors.ts';
import { cleanTopic, groups } from '../contract/names.ts';
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
  groupId?: string;
}

// The same configuration the cleansing worker gives the clean topics, so whoever creates one first does not matter.
const compacted = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' };

/** Encodes one target's share record for a clean record (null value = tombstone). */
export async function shareRecord(registry: RegistryClient, target: ShareTarget, key: string, clean: Record<string, unknown> | null): Promise<OutgoingRecord> {
  const value = clean === null ? null : await registry.encode(target.schemaId, target.projection.value(clean));
  return { key: target.projection.key(key), value, headers: { 'hub-grant': target.grantId } };
}

/**
 * One consumer group over the clean topics of the datasets that grants share: each clean record is
 * projected and masked into every share topic of its dataset. Offsets are committed after the share
 * records are acknowledged, so a crash repeats (the share topics are compacted and keyed) but never
 * loses. hold()/release() bracket a grant's backfill: what arrives meanwhile is buffered and sent
 * after the backfilled state, so a newer version is never overwritten by the older snapshot.
 * Run one streamer per hub: holds are local to the process.
 */
export class ShareStreamer {
  readonly #o: ShareStreamerOptions;
  readonly #log: Logger;
  readonly #groupId: string;
  #consumer: Consumer | null = null;
  #byDataset = new Map<string, ShareTarget[]>();
  #held = new Map<string, { topic: string; record: OutgoingRecord }[]>();
  #restarting: Promise<void> = Promise.resolve();
  #lock: Promise<void> = Promise.resolve();

  constructor(options: ShareStreamerOptions) {
    this.#o = options;
    this.#groupId = options.groupId ?? groups.shareStreamer;
    this.#log = options.log.child({ module: 'share-streamer' });
  }

  start(): Promise<void> {
    return this.refresh();
  }

  /** Follows the grants: reloads the targets, and resubscribes when the set of datasets changed. */
  refresh(): Promise<void> {
    const next = this.#restarting
      .catch(() => undefined)
      .then(async () => {
        const targets = await this.#o.load();
        const byDataset = new Map<string, ShareTarget[]>();
        for (const t of targets) byDataset.set(t.projection.dataset, [...(byDataset.get(t.projection.dataset) ?? []), t]);
        const same = byDataset.size === this.#byDataset.size && [...byDataset.keys()].every((d) => this.#byDataset.has(d));
        this.#byDataset = byDataset;
        if (same && (this.#consumer || byDataset.size === 0)) return;
        const topics = [...byDataset.keys()].map(cleanTopic);
        await this.#o.admin.ensureTopics(topics.map((name) => ({ name, partitions: 3, config: compacted })));
        await this.#consumer?.disconnect();
        this.#consumer = null;
        if (topics.length === 0) return;
        const consumer = this.#o.kafka.consumer({ groupId: this.#groupId, maxWaitTimeInMs: 100 });
        await consumer.connect();
        // A dataset new to the group is read from its start: the clean topics are compacted, so that is each key's latest state.
        await consumer.subscribe({ topics, fromBeginning: true });
        await consumer.run({ eachBatchAutoResolve: false, eachBatch: (payload) => this.#exclusive(() => this.#onBatch(payload)) });
        this.#consumer = consumer;
        this.#log.info({ datasets: topics.length, group: this.#groupId }, 'streaming clean topics to share topics');
      });
    this.#restarting = next;
    return next;
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

  /** Drops a grant's buffer (its activation failed or it was revoked). */
  forget(grantId: string): void {
    this.#held.delete(grantId);
  }

  async stop(): Promise<void> {
    await this.#restarting.catch(() => undefined);
    await this.#consumer?.disconnect();
    this.#consumer = null;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #sendAll(records: readonly { topic: string; record: OutgoingRecord }[]): Promise<void> {
    let i = 0;
    while (i < records.length) {
      const topic = records[i]!.topic;
      let j = i;
      while (j < records.length && records[j]!.topic === topic) j++;
      await this.#o.producer.send(
        topic,
        records.slice(i, j).map((r) => r.record),
      );
      i = j;
    }
  }

  async #onBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const targets = this.#byDataset.get(batch.topic.slice('clean.'.length)) ?? [];
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
        this.#log.error({ topic: batch.topic, partition: batch.partition, offset: m.offset, err: errorMessage(err) }, 'clean record not decodable; skipped');
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

export function createShareStreamer(options: ShareStreamerOptions): ShareStreamer {
  return new ShareStreamer(options);
}
