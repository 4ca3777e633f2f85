import type { Consumer, ConsumerConfig, ConsumerRunConfig, EachBatchPayload } from 'kafkajs';
import type { Logger } from '../logger.ts';
import type { Kafka } from './client.ts';

export interface TopicFollowerOptions<T> {
  kafka: Kafka;
  groupId: string;
  log: Logger;
  /** Says what is followed, in the log line of each restart. */
  what: string;
  /** The topics to follow now, each with what its batches are handed to eachBatch with. */
  load: () => Promise<ReadonlyMap<string, T>>;
  /** Consumer settings besides the group id. */
  consumer?: Omit<ConsumerConfig, 'groupId'>;
  /** Run settings besides eachBatch (eachBatchAutoResolve is always off: handlers resolve offsets). */
  run?: Omit<ConsumerRunConfig, 'eachBatch' | 'eachMessage' | 'eachBatchAutoResolve'>;
  /** Called on every refresh with what was loaded (to drop caches). */
  onRefresh?: (targets: ReadonlyMap<string, T>) => void;
  /** Called before the consumer is (re)started on a changed set of topics (to create them). */
  beforeRestart?: (targets: ReadonlyMap<string, T>) => Promise<void>;
  eachBatch: (target: T, payload: EachBatchPayload) => Promise<void>;
}

/**
 * One consumer group over a set of topics that changes at run time (the catalog's raw topics, the
 * clean topics of live grants): on refresh(), when the set differs, the consumer is restarted on
 * the new set, each new topic read from its start. Refreshes are serialized.
 */
export class TopicFollower<T> {
  readonly #o: TopicFollowerOptions<T>;
  #consumer: Consumer | null = null;
  #targets: ReadonlyMap<string, T> = new Map();
  #restarting: Promise<void> = Promise.resolve();

  constructor(options: TopicFollowerOptions<T>) {
    this.#o = options;
  }

  refresh(): Promise<void> {
    this.#restarting = this.#restarting
      .catch(() => undefined)
      .then(async () => {
        const next = await this.#o.load();
        const same = next.size === this.#targets.size && [...next.keys()].every((t) => this.#targets.has(t));
        this.#targets = next;
        this.#o.onRefresh?.(next);
        if (same && (this.#consumer || next.size === 0)) return;
        await this.#o.beforeRestart?.(next);
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
            const target = this.#targets.get(payload.batch.topic);
            if (target !== undefined) await this.#o.eachBatch(target, payload);
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
