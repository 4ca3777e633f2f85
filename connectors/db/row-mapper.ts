import { randomUUID } from 'node:crypto';
import { HubError, errorMessage } from '../../services/platform/errors.ts';
import type { OutgoingRecord } from '../../services/platform/kafka/producer.ts';
import type { RegistryClient } from '../../services/platform/registry-client.ts';
import type { DatasetSchemaJson } from '../../services/contract/dataset-schema.ts';
import { createRecordCoercer, type FieldError } from '../../services/contract/coerce.ts';
import { deadLetterHeaders, ingestHeaders } from '../../services/contract/headers.ts';
import { parseDbTime } from './db-time.ts';
import { connectorHeaders } from './headers.ts';
import type { SourceRow } from './position.ts';
import { type FieldType, typeOfField } from '../../services/contract/field-kind.ts';

type FieldKind = 'string' | 'integer' | 'double' | 'boolean' | 'date' | 'timestamp' | 'other';

/** The driver-value view of a field's kind (decided once, in contract/field-kind.ts). */
function kindOf(type: FieldType): FieldKind {
  switch (type.kind) {
    case 'string':
    case 'enum':
      return 'string';
    case 'int':
    case 'long':
      return 'integer';
    case 'float':
    case 'double':
      return 'double';
    case 'boolean':
    case 'date':
      return type.kind;
    case 'timestamp-millis':
      return 'timestamp';
    default:
      return 'other';
  }
}

const decimalText = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * What the database driver gives → what the coercer accepts for the field's kind: times as epoch
 * ms, dates as YYYY-MM-DD, DECIMAL text as numbers, TINYINT(1)/BIT(1) as booleans, numbers as text
 * for string fields. Anything else is left as it is, for the coercer to name the problem.
 */
function toCoercible(kind: FieldKind, v: unknown, zone: string): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'timestamp':
      if (v instanceof Date) return v.getTime();
      if (typeof v === 'string') return parseDbTime(v, zone) ?? v;
      return v;
    case 'date':
      if (v instanceof Date) return v.toISOString().slice(0, 10);
      return v;
    case 'integer':
      if (typeof v === 'bigint') return String(v);
      // DECIMAL(p,0)-like text with a zero fraction is still a whole number.
      return typeof v === 'string' && /^-?\d+\.0+$/.test(v.trim()) ? v.trim().replace(/\.0+$/, '') : v;
    case 'double':
      if (typeof v === 'bigint') return Number(v);
      return typeof v === 'string' && decimalText.test(v.trim()) ? Number(v) : v;
    case 'boolean':
      if (v === 0 || v === 1) return v === 1;
      if (Buffer.isBuffer(v) && v.length === 1) return v[0] !== 0;
      return v;
    case 'string':
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      if (v instanceof Date) return v.toISOString();
      return v;
    case 'other':
      return v;
  }
}

/** The row's values as JSON can carry them, for a dead-letter record. */
function jsonSafe(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('base64') : v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

export interface MappedBatch {
  records: OutgoingRecord[];
  deadLetters: OutgoingRecord[];
}

export interface RowMapper {
  map(rows: readonly SourceRow[]): Promise<MappedBatch>;
}

export interface RowMapperOptions {
  connectorId: string;
  department: string;
  table: string;
  topic: string;
  schemaId: number;
  schema: DatasetSchemaJson;
  registry: RegistryClient;
  /** Offset of zone-less times. */
  timeZone: string;
  /** Whether the rows carry an updated-at cursor (their event time). */
  hasUpdatedAt: boolean;
}

/**
 * Turns rows into raw-topic records (Confluent wire format, keyed by business key, ingest
 * headers) and rows that cannot be records into dead-letter records with their reasons.
 */
export function createRowMapper(options: RowMapperOptions): RowMapper {
  const { schema, registry, schemaId, timeZone } = options;
  const coercer = createRecordCoercer(schema);
  const kinds = new Map(schema.fields.map((f) => [f.name, kindOf(typeOfField(schema, f.name))]));

  const deadLetter = (row: SourceRow, errors: FieldError[], at: string): OutgoingRecord => ({
    key: schema.businessKey.map((f) => (row.values[f] === null || row.values[f] === undefined ? '' : String(row.values[f]))).join('|'),
    value: Buffer.from(JSON.stringify(jsonSafe(row.values))),
    headers: {
      [deadLetterHeaders.reason]: JSON.stringify(errors),
      [deadLetterHeaders.topic]: options.topic,
      [deadLetterHeaders.at]: at,
      [ingestHeaders.source]: options.department,
      [ingestHeaders.path]: 'connector',
      [connectorHeaders.id]: options.connectorId,
      [connectorHeaders.table]: options.table,
      [connectorHeaders.cursor]: JSON.stringify(row.cursor),
    },
  });

  return {
    async map(rows) {
      const now = Date.now();
      const at = new Date(now).toISOString();
      const records: OutgoingRecord[] = [];
      const deadLetters: OutgoingRecord[] = [];
      for (const row of rows) {
        const input: Record<string, unknown> = {};
        for (const [field, v] of Object.entries(row.values)) input[field] = toCoercible(kinds.get(field) ?? 'other', v, timeZone);
        const coerced = coercer.coerce(input, { text: false });
        if (!coerced.ok) {
          deadLetters.push(deadLetter(row, coerced.errors, at));
          continue;
        }
        let value: Buffer;
        try {
          value = await registry.encode(schemaId, coerced.value);
        } catch (err) {
          if (err instanceof HubError && err.code === 'HUB_ERR_VALIDATION') {
            deadLetters.push(deadLetter(row, [{ field: '', reason: errorMessage(err) }], at));
            continue;
          }
          throw err;
        }
        const updated = options.hasUpdatedAt && row.cursor.updatedAt !== null ? parseDbTime(row.cursor.updatedAt, timeZone) : null;
        records.push({
          key: coerced.key,
          value,
          timestamp: now,
          headers: {
            [ingestHeaders.source]: options.department,
            [ingestHeaders.path]: 'connector',
            [ingestHeaders.eventTime]: new Date(updated ?? now).toISOString(),
            [ingestHeaders.recordId]: randomUUID(),
          },
        });
      }
      return { records, deadLetters };
    },
  };
}
