import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { Kafka } from '../platform/kafka/client.ts';
import type { Logger } from '../platform/logger.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { HubProducer } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import type { CatalogStore } from '../catalog/store.ts';
import type { CatalogEntry } from '../catalog/entry.ts';
import type { ActivityStore } from './activity.ts';
import type { IngestMetrics } from './metrics.ts';
import { wireSchemaId } from '../platform/registry-client.ts';
import { errorMessage } from '../platform/errors.ts';
import { hubTopics } from '../hub/topology.ts';
import { deadLetterHeaders, ingestHeaders, type IngestPath } from './headers.ts';

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

type Verdict = { ok: true } | { ok: false; reason: string };

const header = (headers: IHeaders | undefined, name: string): string | undefined => {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0]?.toString() : v.toString();
};

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
  #allowedIds = new Map<string, Set<number>>();
  #businessKeys = new Map<string, string[]>();
  #restarting: Promise<void> = Promise.resolve();

  constructor(options: ValidatorOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'raw-validator' });
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
      this.#businessKeys.clear();
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

  async #allowed(entry: CatalogEntry, id: number): Promise<boolean> {
    let ids = this.#allowedIds.get(entry.subject);
    if (ids?.has(id)) return true;
    const uses = await this.#o.registry.subjectsOf(id).catch(() => []);
    if (!uses.some((u) => u.subject === entry.subject)) return false;
    ids ??= new Set();
    ids.add(id);
    this.#allowedIds.set(entry.subject, ids);
    return true;
  }

  async verdict(entry: CatalogEntry, message: KafkaMessage): Promise<Verdict> {
    if (!message.value || message.value.length === 0) return { ok: false, reason: 'the record has no value' };
    let id: number;
    try {
      id = wireSchemaId(message.value);
    } catch {
      return { ok: false, reason: 'the value is not in the Confluent wire format (magic byte 0, 4-byte schema id, Avro)' };
    }
    if (!(await this.#allowed(entry, id))) return { ok: false, reason: `schema id ${id} is not a version of subject ${entry.subject}` };
    let value: Record<string, unknown>;
    try {
      value = await this.#o.registry.decode(message.value);
    } catch (err) {
      return { ok: false, reason: `the value does not decode with schema ${id}: ${errorMessage(err)}` };
    }
    let businessKey = this.#businessKeys.get(entry.subject);
    if (!businessKey) {
      const schema = await this.#o.registry.latest(entry.subject);
      businessKey = (JSON.parse(schema.schema) as { businessKey?: string[] }).businessKey ?? [];
      this.#businessKeys.set(entry.subject, businessKey);
    }
    const expected = businessKey.map((k) => String(value[k])).join('|');
    const key = message.key?.toString();
    if (key !== expected) return { ok: false, reason: `the key ${JSON.stringify(key ?? null)} is not the record's business key ${JSON.stringify(expected)}` };
    for (const name of [ingestHeaders.recordId, ingestHeaders.eventTime]) {
      if (!header(message.headers, name)) return { ok: false, reason: `the record lacks the ${name} header` };
    }
    if (Number.isNaN(Date.parse(header(message.headers, ingestHeaders.eventTime) ?? ''))) return { ok: false, reason: `${ingestHeaders.eventTime} is not an ISO-8601 time` };
    return { ok: true };
  }

  async #onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const entry = this.#topics.get(batch.topic);
    if (!entry) return;
    let good = 0;
    let lastAt = 0;
    let path: IngestPath = 'kafka';
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const verdict = await this.verdict(entry, message);
      if (verdict.ok) {
        good++;
        lastAt = Math.max(lastAt, Number(message.timestamp));
        path = (header(message.headers, ingestHeaders.path) as IngestPath | undefined) ?? 'kafka';
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
