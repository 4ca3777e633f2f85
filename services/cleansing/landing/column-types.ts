import { HubError } from '../../platform/errors.ts';

/**
 * How each Avro field kind is stored in a landing table and how its values cross the wire: records
 * hold Avro-style values (date = days since epoch, timestamp-millis = epoch ms, long = number), the
 * tables hold real Postgres types so that SQL on them is natural.
 */

export type ColumnKind = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'date' | 'timestamp' | 'enum';

export const pgTypes: { readonly [K in ColumnKind]: string } = {
  string: 'text',
  enum: 'text',
  int: 'integer',
  long: 'bigint',
  double: 'double precision',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamptz',
};

/** format_type() spelling of a pgType, to compare with a column that already exists. */
export function canonicalPgType(pgType: string): string {
  return pgType === 'timestamptz' ? 'timestamp with time zone' : pgType;
}

/** The type a column's values travel in: rows go to Postgres as one JSON document per statement. */
const wireTypes: { readonly [K in ColumnKind]: string } = {
  string: 'text',
  enum: 'text',
  int: 'int4',
  long: 'int8',
  double: 'float8',
  boolean: 'bool',
  date: 'int4',
  timestamp: 'int8',
};

export function wireTypeOf(kind: ColumnKind): string {
  return wireTypes[kind];
}

/** SQL turning the wire value `ref` into the column's type. */
export function toColumnSql(kind: ColumnKind, ref: string): string {
  if (kind === 'date') return `(date '1970-01-01' + ${ref})`;
  // float8 division is exact to the microsecond for 1897..2191 and round-trips every millisecond.
  if (kind === 'timestamp') return `to_timestamp(${ref}::float8 / 1000)`;
  return ref;
}

/** SQL reading column `ref` back as the Avro-style value (bigint still arrives as text). */
export function fromColumnSql(kind: ColumnKind, ref: string): string {
  if (kind === 'date') return `(${ref} - date '1970-01-01')`;
  if (kind === 'timestamp') return `round(extract(epoch from ${ref}) * 1000)::float8`;
  if (kind === 'long') return `${ref}::text`;
  return ref;
}

const int32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : `${typeof value} ${String(value)}`;
}

/**
 * Checks one Avro-style value against its kind and returns what goes into the JSON document; null
 * for a missing value. Throws a message (the caller adds dataset, key and field).
 */
export function toWire(kind: ColumnKind, value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'string':
    case 'enum':
      if (typeof value === 'string') return value;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'double':
      // JSON has no NaN or Infinity; float8 reads them from their names.
      if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
      break;
    case 'int':
    case 'date':
      if (Number.isInteger(value) && (value as number) >= int32.min && (value as number) <= int32.max) return value as number;
      break;
    case 'long':
    case 'timestamp':
      if (Number.isSafeInteger(value)) return value as number;
      break;
  }
  throw new HubError('HUB_ERR_INTERNAL', `expected a ${kind} value, got ${describe(value)}`);
}

/** Turns a column value read through fromColumnSql into the Avro-style value. */
export function fromWire(kind: ColumnKind, value: unknown, where: string): unknown {
  if (value === null || kind !== 'long') return value;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new HubError('HUB_ERR_INTERNAL', `${where}: ${String(value)} does not fit a JavaScript number exactly`);
  return n;
}
