import type { KafkaMessage } from 'kafkajs';
import type { DatasetSchema } from '../../contract/dataset-schema.ts';
import { normalizeRecord } from '../normalize.ts';
import { checkRecord, type Finding } from '../rules/index.ts';
import { contentHash } from '../dedup.ts';
import type { Decoded } from './decode.ts';

/** A decoded record, normalized and checked, with the hash that recognises its retransmission. */
export interface Candidate {
  message: KafkaMessage;
  key: string;
  original: Record<string, unknown>;
  value: Record<string, unknown>;
  findings: Finding[];
  hash: string;
}

/** Postgres text and jsonb cannot hold U+0000. */
const storable = (text: string) => text.replaceAll('\u0000', '\uFFFD');

/** The record with U+0000 replaced, and the fields that held it: such a record is quarantined, never retried forever. */
function unstorable(record: Record<string, unknown>): { record: Record<string, unknown>; fields: string[] } {
  const fields: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (typeof value === 'string' && value.includes('\u0000')) {
      fields.push(name);
      out[name] = storable(value);
    } else out[name] = value;
  }
  return { record: out, fields };
}

/** Normalize and check: each record's normalized values and what its schema's rules find in them. */
export function checkChunk(schema: DatasetSchema, decoded: readonly Decoded[]): Candidate[] {
  return decoded.map(({ message, value }) => {
    const hash = contentHash(value);
    const raw = unstorable(value);
    const normalized = normalizeRecord(schema.json, raw.record);
    const findings: Finding[] = raw.fields.map((field) => ({
      field,
      rule: 'storable-text',
      severity: 'error',
      message: '含有数据库无法保存的空字符 (holds U+0000, which the databases cannot store)',
      value: raw.record[field],
    }));
    return {
      message,
      key: storable(message.key?.toString() ?? ''),
      original: raw.record,
      value: normalized.value,
      findings: [...findings, ...checkRecord(schema.json, normalized.value)],
      hash,
    };
  });
}
