import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Kafka } from '../platform/kafka/client.ts';
import type { Logger } from '../platform/logger.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { HubProducer } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { CatalogEntry } from '../catalog/entry.ts';
import type { ActivityStore } from './activity.ts';
import type { IngestMetrics } from './metrics.ts';
import { hubTopics } from '../hub/topology.ts';
import { deadLetterHeaders, ingestHeaders, type IngestPath } from './headers.ts';
import { createRawRecordCheck, headerText, type RawRecordCheck } from './raw-record-check.ts';

export const deadLetterTopic = 'hub.dead-letter';

export interface ValidatorOptions {
  kafka: Kafka;
  admin: HubAdmin;
  producer: HubProducer;
  registry: RegistryClient;
  catalog: CatalogStore;
  activity: ActivityStore;
  log: Logger;
  groupId: string;
  metrics?: IngestMetrics;
}

/**
 * Guards the raw topics, whatever path wrote to them: a record that cannot be decoded, uses a schema
 * not registered for its topic, carries a key other than its business key, or lacks the hub's
 * headers is copied to hub.dead-letter with the reason in its headers (the raw topic is append-only).
 * It also records when each dataset last received data, for the freshness watcher.
 */
export class RawTopicValidator {
  readonly #o: ValidatorOptions;
  readonly #log: Logger;
  #consumer: Consumer | null = null;
  #topics = new Map<string, CatalogEntry>();
  readonly #check: RawRecordCheck;
  #restarting: Promise<void> = Promise.resolve();

  constructor(options: ValidatorOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'raw-validator' });
    this.#check = createRawRecordCheck({ registry: options.registry });
  }

  async start(): Promise<void> {
    await this.#o.admin.ensureTopics(hubTopics.filter((t) => t.name === deadLetterTopic));
    await this.refresh();
  }

  /** Follows the catalog: a new raw topic is consumed without a restart of the hub. */
  refresh(): Promise<void> {
    this.#restarting = this.#restarting.then(async () => {
      const entries = await this.#o.catalog.all();
      const next = new Map(entries.map((e) => [e.topic, e]));
      const same = next.size === this.#topics.size && [...next.keys()].every((t) => this.#topics.has(t));
      this.#topics = next;
      this.#check.forget();
      if (same && this.#consumer) return;
      await this.#consumer?.disconnect();
      this.#consumer = null;
      if (next.size === 0) return;
      const consumer = this.#o.kafka.consumer({ groupId: this.#o.groupId, maxWaitTimeInMs: 500 });
      await consumer.connect();
      await consumer.subscribe({ topics: [...next.keys()], fromBeginning: true });
      await consumer.run({ eachBatchAutoResolve: false, eachBatch: (payload) => this.#onBatch(payload) });
      this.#consumer = consumer;
      this.#log.info({ topics: next.size }, 'validating raw topics');
    });
    return this.#restarting;
  }

  async stop(): Promise<void> {
    await this.#restarting.catch(() => undefined);
    await this.#consumer?.disconnect();
    this.#consumer = null;
  }

  async #onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const entry = this.#topics.get(batch.topic);
    if (!entry) return;
    let good = 0;
    let lastAt = 0;
    let path: IngestPath = 'kafka';
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const verdict = await this.#check.check(entry, message);
      if (verdict.ok) {
        good++;
        lastAt = Math.max(lastAt, Number(message.timestamp));
        path = (headerText(message.headers, ingestHeaders.path) as IngestPath | undefined) ?? 'kafka';
      } else {
        this.#log.warn({ topic: batch.topic, partition: batch.partition, offset: message.offset, reason: verdict.reason }, 'raw record sent to the dead-letter topic');
        this.#o.metrics?.deadLettered.inc({ topic: batch.topic });
        await this.#o.producer.send(deadLetterTopic, [
          {
            key: message.key,
            value: message.value,
            headers: {
              ...Object.fromEntries(Object.entries(message.headers ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? (v[0] ?? '') : v]]))),
              [deadLetterHeaders.reason]: verdict.reason,
              [deadLetterHeaders.topic]: batch.topic,
              [deadLetterHeaders.partition]: String(batch.partition),
              [deadLetterHeaders.offset]: message.offset,
              [deadLetterHeaders.at]: new Date().toISOString(),
            },
          },
        ]);
      }
      resolveOffset(message.offset);
      await heartbeat();
    }
    if (good > 0) await this.#o.activity.record(entry.id, good, path, new Date(lastAt));
  }
}
