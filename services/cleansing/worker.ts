import type { EachBatchPayload } from 'kafkajs';
import type { Kafka } from '../platform/kafka/client.ts';
import type { Logger } from '../platform/logger.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { CatalogEntry } from '../catalog/entry.ts';
import type { CleansingPipeline } from './pipeline.ts';
import type { CleansingMetrics } from './metrics.ts';
import type { OutboxRelay } from './outbox.ts';
import { TopicFollower } from '../platform/kafka/topic-follower.ts';
import { topicSpecs } from '../contract/names.ts';
import type { HealthBoard } from '../platform/health.ts';
import { errorMessage } from '../platform/errors.ts';

export interface CleansingWorkerOptions {
  kafka: Kafka;
  admin: HubAdmin;
  catalog: CatalogStore;
  pipeline: CleansingPipeline;
  relay: OutboxRelay;
  metrics: CleansingMetrics;
  log: Logger;
  groupId: string;
  /** Records per landing transaction. */
  chunk?: number;
  /** Partitions processed at once (each holds a Postgres connection while it lands). */
  concurrency?: number;
  /** Where the worker reports each chunk's success or failure (the app's health board). */
  health?: HealthBoard;
}

/**
 * The cleansing consumer group over every raw topic in the catalog. Run more instances to scale:
 * partitions spread over them, and the offsets that count are the ones committed in Postgres with
 * the landed rows, so a rebalance or a crash neither loses nor repeats a record.
 */
export class CleansingWorker {
  readonly #o: CleansingWorkerOptions;
  readonly #log: Logger;
  readonly #topics: TopicFollower<CatalogEntry>;

  constructor(options: CleansingWorkerOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'cleansing-worker' });
    this.#topics = new TopicFollower<CatalogEntry>({
      kafka: options.kafka,
      load: async () => new Map((await options.catalog.all()).map((e) => [e.topic, e])),
      groupId: options.groupId,
      log: this.#log,
      consumer: { maxWaitTimeInMs: 250, maxBytesPerPartition: 1024 * 1024 },
      // Partitions land in parallel (each in its own order); shared keys meet at the row locks.
      run: { autoCommit: true, partitionsConsumedConcurrently: options.concurrency ?? 3 },
      onRefresh: () => options.pipeline.forget(),
      beforeRestart: (entries) =>
        options.admin
          .ensureTopics([topicSpecs.qualityAlerts, ...[...new Set([...entries.values()].map((e) => e.dataset))].map((d) => topicSpecs.clean(d))])
          .then(() => undefined),
      eachBatch: (entry, payload) => this.#onBatch(entry, payload),
      what: 'cleansing raw topics',
    });
  }

  async start(): Promise<void> {
    this.#o.relay.start();
    await this.refresh();
  }

  /** Follows the catalog: new datasets are picked up without a restart. */
  refresh(): Promise<void> {
    return this.#topics.refresh();
  }

  async stop(): Promise<void> {
    await this.#topics.stop();
    await this.#o.relay.stop();
  }

  async #onBatch(entry: CatalogEntry, { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const size = this.#o.chunk ?? 500;
    for (let i = 0; i < batch.messages.length; i += size) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + size);
      try {
        const outcome = await this.#o.pipeline.process(entry, batch.partition, chunk);
        this.#o.metrics.record(outcome);
        this.#o.health?.report('cleansing', { ok: true });
      } catch (err) {
        // Nothing was committed: kafkajs redelivers from the last resolved offset after a pause, so
        // the partition does not move past the record; /health/ready says cleansing is failing.
        this.#log.warn({ topic: batch.topic, partition: batch.partition, err }, 'landing failed; will retry');
        this.#o.health?.report('cleansing', { ok: false, error: `${batch.topic}[${batch.partition}]: ${errorMessage(err)}` });
        throw err;
      }
      resolveOffset(chunk[chunk.length - 1]!.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
      this.#o.relay.wake();
    }
    this.#o.metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
  }
}
