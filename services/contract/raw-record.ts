import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { RegistryClient } from '../platform/registry-client.ts';
import { wireSchemaId } from '../platform/registry-client.ts';
import { errorMessage, isHubError } from '../platform/errors.ts';
import { ingestHeaders } from './headers.ts';

export type RawVerdict = { ok: true; schemaId: number; value: Record<string, unknown> } | { ok: false; reason: string };

export const headerText = (headers: IHeaders | undefined, name: string): string | undefined => {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0]?.toString() : v.toString();
};

/** What a raw record is checked against: its topic's value subject. */
export interface RawTarget {
  readonly subject: string;
}

export interface RawRecordCheck {
  /** Whether a raw-topic record is what its catalog entry promises, and its decoded value if so. */
  check(entry: RawTarget, message: KafkaMessage): Promise<RawVerdict>;
  /** Drops cached business keys (after a schema change). */
  forget(): void;
}

/**
 * The one definition of a good raw record, shared by the raw-topic validator (which dead-letters
 * the rest) and the cleansing service (which skips them): Confluent framing, a schema registered
 * for the topic's subject, a value that decodes, the business key as Kafka key, the hub's headers.
 */
export function createRawRecordCheck({ registry }: { registry: RegistryClient }): RawRecordCheck {
  const allowedIds = new Map<string, Set<number>>();
  const businessKeys = new Map<string, string[]>();

  async function allowed(subject: string, id: number): Promise<boolean> {
    let ids = allowedIds.get(subject);
    if (ids?.has(id)) return true;
    // An unknown id is a verdict on the record; any other failure is an outage: it propagates, to be retried.
    const uses = await registry.subjectsOf(id).catch((err: unknown) => {
      if (isHubError(err) && err.code === 'HUB_ERR_NOT_FOUND') return [];
      throw err;
    });
    if (!uses.some((u) => u.subject === subject)) return false;
    ids ??= new Set();
    ids.add(id);
    allowedIds.set(subject, ids);
    return true;
  }

  async function businessKeyOf(subject: string): Promise<string[]> {
    let key = businessKeys.get(subject);
    if (!key) {
      const schema = await registry.latest(subject);
      key = (JSON.parse(schema.schema) as { businessKey?: string[] }).businessKey ?? [];
      businessKeys.set(subject, key);
    }
    return key;
  }

  return {
    async check(entry, message) {
      if (!message.value || message.value.length === 0) return { ok: false, reason: 'the record has no value' };
      let id: number;
      try {
        id = wireSchemaId(message.value);
      } catch {
        return { ok: false, reason: 'the value is not in the Confluent wire format (magic byte 0, 4-byte schema id, Avro)' };
      }
      if (!(await allowed(entry.subject, id))) return { ok: false, reason: `schema id ${id} is not a version of subject ${entry.subject}` };
      let value: Record<string, unknown>;
      try {
        value = await registry.decode(message.value);
      } catch (err) {
        if (isHubError(err) && err.retryable) throw err;
        return { ok: false, reason: `the value does not decode with schema ${id}: ${errorMessage(err)}` };
      }
      const expected = (await businessKeyOf(entry.subject)).map((k) => String(value[k])).join('|');
      const key = message.key?.toString();
      if (key !== expected) return { ok: false, reason: `the key ${JSON.stringify(key ?? null)} is not the record's business key ${JSON.stringify(expected)}` };
      for (const name of [ingestHeaders.recordId, ingestHeaders.eventTime]) {
        if (!headerText(message.headers, name)) return { ok: false, reason: `the record lacks the ${name} header` };
      }
      if (Number.isNaN(Date.parse(headerText(message.headers, ingestHeaders.eventTime) ?? '')))
        return { ok: false, reason: `${ingestHeaders.eventTime} is not an ISO-8601 time` };
      return { ok: true, schemaId: id, value };
    },
    forget() {
      businessKeys.clear();
    },
  };
}
