import type { DatasetSchemaJson } from './dataset-schema.ts';
import { type FieldType, typeOfField } from './field-kind.ts';
import { HubError } from '../platform/errors.ts';

/** One problem with one field of one record: what the caller gets back, never a silent drop. */
export interface FieldError {
  field: string;
  reason: string;
}

export type Coerced = { ok: true; value: Record<string, unknown>; key: string } | { ok: false; errors: FieldError[] };

type Kind =
  | { t: 'string' }
  | { t: 'int' }
  | { t: 'long' }
  | { t: 'double' }
  | { t: 'boolean' }
  | { t: 'date' }
  | { t: 'timestamp' }
  | { t: 'enum'; symbols: readonly string[] };

interface FieldPlan {
  name: string;
  kind: Kind;
  nullable: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
}

const dayMs = 86_400_000;
const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
/** Timestamps without a zone are Beijing time: the hub serves mainland departments. */
const defaultZone = '+08:00';

/** How a field of the schema is coerced, from its one classification (field-kind.ts); null: the hub cannot take it. */
function kindOf(type: FieldType): Kind | null {
  switch (type.kind) {
    case 'string':
    case 'int':
    case 'long':
    case 'double':
    case 'boolean':
    case 'date':
      return { t: type.kind };
    case 'float':
      return { t: 'double' };
    case 'timestamp-millis':
      return { t: 'timestamp' };
    case 'enum':
      return { t: 'enum', symbols: type.symbols };
    default:
      return null;
  }
}

function planField(schema: DatasetSchemaJson, field: DatasetSchemaJson['fields'][number]): FieldPlan {
  const type = field.type;
  if (Array.isArray(type) && type.filter((t) => t !== 'null').length !== 1) {
    throw new HubError('HUB_ERR_CONFIG', `field ${field.name}: only ["null", T] unions are supported`);
  }
  const fieldType = typeOfField(schema, field.name);
  const kind = kindOf(fieldType);
  if (!kind) throw new HubError('HUB_ERR_CONFIG', `field ${field.name}: unsupported Avro type ${JSON.stringify(type)}`);
  return { name: field.name, kind, nullable: fieldType.nullable, hasDefault: 'default' in field, defaultValue: field.default };
}

function parseDate(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(ms);
  if (d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null;
  return ms / dayMs;
}

function parseTimestamp(s: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) return null;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}${defaultZone}`;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  return Number.isNaN(ms) ? null : ms;
}

const integerText = /^-?\d+$/;

/** Converts one value; `text` means it came from CSV, where everything is a string. */
function convert(kind: Kind, raw: unknown, text: boolean): { value: unknown } | { reason: string } {
  switch (kind.t) {
    case 'string':
      return typeof raw === 'string' ? { value: raw } : { reason: `expected a string, got ${typeof raw}` };
    case 'int':
    case 'long': {
      const n = typeof raw === 'string' && (text || integerText.test(raw)) ? (integerText.test(raw.trim()) ? Number(raw.trim()) : Number.NaN) : raw;
      if (typeof n !== 'number' || !Number.isInteger(n)) return { reason: `expected a whole number, got ${JSON.stringify(raw)}` };
      if (kind.t === 'int' && (n < int32.min || n > int32.max)) return { reason: `${n} is outside the 32-bit int range` };
      if (!Number.isSafeInteger(n)) return { reason: `${n} is too large to be exact` };
      return { value: n };
    }
    case 'double': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : raw;
      return typeof n === 'number' && Number.isFinite(n) ? { value: n } : { reason: `expected a number, got ${JSON.stringify(raw)}` };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      if (text && typeof raw === 'string') {
        const v = raw.trim().toLowerCase();
        if (v === 'true' || v === '1') return { value: true };
        if (v === 'false' || v === '0') return { value: false };
      }
      return { reason: `expected true or false, got ${JSON.stringify(raw)}` };
    }
    case 'enum':
      return typeof raw === 'string' && kind.symbols.includes(raw)
        ? { value: raw }
        : { reason: `expected one of ${kind.symbols.join(', ')}, got ${JSON.stringify(raw)}` };
    case 'date': {
      if (typeof raw === 'number' && Number.isInteger(raw)) return { value: raw };
      const days = typeof raw === 'string' ? parseDate(raw.trim()) : null;
      return days === null ? { reason: `expected a date as YYYY-MM-DD, got ${JSON.stringify(raw)}` } : { value: days };
    }
    case 'timestamp': {
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return { value: raw };
      if (typeof raw === 'string' && integerText.test(raw.trim())) return { value: Number(raw.trim()) };
      const ms = typeof raw === 'string' ? parseTimestamp(raw.trim()) : null;
      return ms === null
        ? { reason: `expected an ISO-8601 time (e.g. 2024-05-01T08:30:00+08:00) or epoch milliseconds, got ${JSON.stringify(raw)}` }
        : { value: ms };
    }
  }
}

export interface RecordCoercer {
  readonly fieldNames: readonly string[];
  readonly businessKey: readonly string[];
  /** JSON records (HTTP, NDJSON) keep their types; CSV records (text) are all strings. */
  coerce(input: unknown, options?: { text?: boolean }): Coerced;
}

/**
 * Turns a caller's record into the exact value the dataset's Avro schema encodes, or lists every
 * field that is wrong. Unknown fields are errors: nothing a provider sends is dropped silently.
 */
export function createRecordCoercer(schema: DatasetSchemaJson): RecordCoercer {
  const plans = schema.fields.map((f) => planField(schema, f));
  const known = new Set(plans.map((p) => p.name));
  return {
    fieldNames: plans.map((p) => p.name),
    businessKey: schema.businessKey,
    coerce(input, { text = false } = {}) {
      if (!input || typeof input !== 'object' || Array.isArray(input)) return { ok: false, errors: [{ field: '', reason: 'a record must be a JSON object' }] };
      const record = input as Record<string, unknown>;
      const errors: FieldError[] = [];
      const value: Record<string, unknown> = {};
      for (const name of Object.keys(record)) if (!known.has(name)) errors.push({ field: name, reason: 'not a field of this dataset' });
      for (const p of plans) {
        let raw = record[p.name];
        if (text && raw === '') raw = undefined;
        if (raw === undefined || raw === null) {
          if (p.nullable) value[p.name] = null;
          else if (p.hasDefault && raw === undefined) value[p.name] = p.defaultValue;
          else errors.push({ field: p.name, reason: 'required field is missing' });
          continue;
        }
        const result = convert(p.kind, raw, text);
        if ('reason' in result) errors.push({ field: p.name, reason: result.reason });
        else value[p.name] = result.value;
      }
      if (errors.length > 0) return { ok: false, errors };
      const key = schema.businessKey.map((k) => String(value[k])).join('|');
      return { ok: true, value, key };
    },
  };
}
