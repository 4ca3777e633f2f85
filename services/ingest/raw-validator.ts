import type { EachBatchPayload } from 'kafkajs';
import type { Kafka } from '../platform/kafka/client.ts';
import type { Logger } from '../platform/logger.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { HubProducer } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { CatalogEntry } from '../catalog/entry.ts';
import type { ActivityStore } from './activity.ts';
import type { IngestMetrics } from './metrics.ts';
import { deadLetterTopic, topicSpecs } from '../contract/names.ts';
import { deadLetterHeaders, ingestHeaders, type IngestPath } from '../contract/headers.ts';
import { TopicFollower } from '../platform/kafka/topic-follower.ts';
import { createRawRecordCheck, headerText, type RawRecordCheck } from '../contract/raw-record.ts';
import type { HealthBoard } from '../platform/health.ts';
import { errorMessage } from '../platform/errors.ts';

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
  /** Where the validator reports whether it can check and dead-letter (the app's health board). */
  health?: HealthBoard;
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
  readonly #topics: TopicFollower<CatalogEntry>;
  readonly #check: RawRecordCheck;

  constructor(options: ValidatorOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'raw-validator' });
    this.#check = createRawRecordCheck({ registry: options.registry });
    this.#topics = new TopicFollower<CatalogEntry>({
      kafka: options.kafka,
      load: async () => new Map((await options.catalog.all()).map((e) => [e.topic, e])),
      groupId: options.groupId,
      log: this.#log,
      consumer: { maxWaitTimeInMs: 500 },
      onRefresh: () => this.#check.forget(),
      eachBatch: async (entry, payload) => {
        try {
          await this.#onBatch(entry, payload);
          options.health?.report('validator', { ok: true });
        } catch (err) {
          // Not resolved past the failing record: the batch comes again once the outage is over.
          options.health?.report('validator', { ok: false, error: `${payload.batch.topic}[${payload.batch.partition}]: ${errorMessage(err)}` });
          throw err;
        }
      },
      what: 'validating raw topics',
    });
  }

  async start(): Promise<void> {
    await this.#o.admin.ensureTopics([topicSpecs.deadLetter]);
    await this.refresh();
  }

  /** Follows the catalog: a new raw topic is consumed without a restart of the hub. */
  refresh(): Promise<void> {
    return this.#topics.refresh();
  }

  stop(): Promise<void> {
    return this.#topics.stop();
  }

  async #onBatch(entry: CatalogEntry, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
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
        this.#log.warn(
          { topic: batch.topic, partition: batch.partition, offset: message.offset, reason: verdict.reason },
          'raw record sent to the dead-letter topic',
        );
        this.#o.metrics?.deadLettered.inc({ topic: batch.topic });
        await this.#o.producer.send(deadLetterTopic, [
          {
            key: message.key,
            value: message.value,
            headers: {
              ...Object.fromEntries(
                Object.entries(message.headers ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? (v[0] ?? '') : v]])),
              ),
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
