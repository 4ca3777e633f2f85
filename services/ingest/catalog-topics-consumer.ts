import type { Consumer, ConsumerConfig, ConsumerRunConfig, EachBatchPayload } from 'kafkajs';
import type { Kafka } from '../platform/kafka/client.ts';
import type { Logger } from '../platform/logger.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { CatalogEntry } from '../catalog/entry.ts';

export interface CatalogTopicsConsumerOptions {
  kafka: Kafka;
  catalog: CatalogStore;
  groupId: string;
  log: Logger;
  /** Consumer settings besides the group id. */
  consumer?: Omit<ConsumerConfig, 'groupId'>;
  /** Run settings besides eachBatch (eachBatchAutoResolve is always off: handlers resolve offsets). */
  run?: Omit<ConsumerRunConfig, 'eachBatch' | 'eachMessage' | 'eachBatchAutoResolve'>;
  /** Called on every refresh with the catalog's entries (to drop caches). */
  onRefresh?: (entries: readonly CatalogEntry[]) => void;
  /** Called before the consumer is (re)started on a changed set of topics. */
  beforeRestart?: (entries: readonly CatalogEntry[]) => Promise<void>;
  eachBatch: (entry: CatalogEntry, payload: EachBatchPayload) => Promise<void>;
  what: string;
}

/**
 * One consumer group over every raw topic in the catalog that follows it: when the set of topics
 * changes, the consumer is restarted on the new set, so a new dataset is consumed without a
 * restart of the hub. Refreshes are serialized.
 */
export class CatalogTopicsConsumer {
  readonly #o: CatalogTopicsConsumerOptions;
  #consumer: Consumer | null = null;
  #topics = new Map<string, CatalogEntry>();
  #restarting: Promise<void> = Promise.resolve();

  constructor(options: CatalogTopicsConsumerOptions) {
    this.#o = options;
  }

  refresh(): Promise<void> {
    this.#restarting = this.#restarting.then(async () => {
      const entries = await this.#o.catalog.all();
      const next = new Map(entries.map((e) => [e.topic, e]));
      const same = next.size === this.#topics.size && [...next.keys()].every((t) => this.#topics.has(t));
      this.#topics = next;
      this.#o.onRefresh?.(entries);
      if (same && this.#consumer) return;
      await this.#o.beforeRestart?.(entries);
      await this.#consumer?.disconnect();
      this.#consumer = null;
      if (next.size === 0) return;
      const consumer = this.#o.kafka.consumer({ ...this.#o.consumer, groupId: this.#o.groupId });
      await consumer.connect();
      await consumer.subscribe({ topics: [...next.keys()], fromBeginning: true });
      await consumer.run({
        ...this.#o.run,
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const entry = this.#topics.get(payload.batch.topic);
          if (entry) await this.#o.eachBatch(entry, payload);
        },
      });
      this.#consumer = consumer;
      this.#o.log.info({ topics: next.size, group: this.#o.groupId }, this.#o.what);
    });
    return this.#restarting;
  }

  async stop(): Promise<void> {
    await this.#restarting.catch(() => undefined);
    await this.#consumer?.disconnect();
    this.#consumer = null;
  }
}
