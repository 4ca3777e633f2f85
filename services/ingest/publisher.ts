import { randomUUID } from 'node:crypto';
import type { HubProducer, OutgoingRecord } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import { ingestHeaders, type IngestPath } from '../contract/headers.ts';

/** Where a provider's records of one dataset go. */
export interface RawTarget {
  provider: string;
  dataset: string;
  topic: string;
  schemaId: number;
}

export interface PublishRecord {
  key: string;
  value: Record<string, unknown>;
  /** Epoch ms of the change at the source; defaults to the record's updated_at, else now. */
  eventTime?: number;
  recordId?: string;
}

export interface RawPublisher {
  /** Encodes (Confluent wire format) and writes with acks=all; resolves only once Kafka acknowledged. */
  publish(target: RawTarget, path: IngestPath, records: readonly PublishRecord[]): Promise<void>;
}

export type PublishedListener = (target: RawTarget, count: number, lastEventTime: number) => void | Promise<void>;

export function eventTimeOf(record: PublishRecord, now: number): number {
  if (record.eventTime !== undefined) return record.eventTime;
  const updated = record.value.updated_at;
  return typeof updated === 'number' ? updated : now;
}

export function createRawPublisher({
  producer,
  registry,
  onPublished,
}: {
  producer: HubProducer;
  registry: RegistryClient;
  onPublished?: PublishedListener;
}): RawPublisher {
  return {
    async publish(target, path, records) {
      if (records.length === 0) return;
      const now = Date.now();
      let last = 0;
      const values = await registry.encodeMany(
        target.schemaId,
        records.map((r) => r.value),
      );
      // The same two header values on every record of the batch: encoded once.
      const source = Buffer.from(target.provider);
      const via = Buffer.from(path);
      const out: OutgoingRecord[] = records.map((r, i) => {
        const eventTime = eventTimeOf(r, now);
        last = Math.max(last, eventTime);
        return {
          key: r.key,
          value: values[i] as Buffer,
          timestamp: now,
          headers: {
            [ingestHeaders.source]: source,
            [ingestHeaders.path]: via,
            [ingestHeaders.eventTime]: new Date(eventTime).toISOString(),
            [ingestHeaders.recordId]: r.recordId ?? randomUUID(),
          },
        };
      });
      await producer.send(target.topic, out);
      await onPublished?.(target, records.length, last);
    },
  };
}
