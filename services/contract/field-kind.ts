/**
 * The one place that decides what kind of value an Avro field of a dataset holds. Every other
 * module (rules, normalization, coercion, landing columns, masking) reads this, never the Avro type.
 */
export type FieldKind =
  | 'string'
  | 'enum'
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'decimal'
  | 'date'
  | 'timestamp-millis'
  | 'timestamp-micros'
  | 'bytes'
  /** records, arrays, maps, fixed, unions of several types */
  | 'other';

export interface FieldType {
  readonly kind: FieldKind;
  /** `["null", T]`: null is allowed and means "absent". */
  readonly nullable: boolean;
  /** The symbols of an enum. */
  readonly symbols: readonly string[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function collectNamed(type: unknown, namespace: string, into: Map<string, Json>): void {
  if (Array.isArray(type)) {
    for (const t of type) collectNamed(t, namespace, into);
    return;
  }
  if (!isObject(type)) return;
  let ns = namespace;
  if (typeof type.name === 'string' && (type.type === 'enum' || type.type === 'fixed' || type.type === 'record')) {
    if (typeof type.namespace === 'string') ns = type.namespace;
    into.set(type.name, type);
    into.set(type.name.includes('.') ? type.name : `${ns}.${type.name}`, type);
  }
  if (Array.isArray(type.fields)) for (const f of type.fields) if (isObject(f)) collectNamed(f.type, ns, into);
  collectNamed(type.items, ns, into);
  collectNamed(type.values, ns, into);
}

const primitive: Readonly<Record<string, FieldKind>> = {
  string: 'string',
  boolean: 'boolean',
  int: 'int',
  long: 'long',
  float: 'float',
  double: 'double',
  bytes: 'bytes',
};

function classify(type: unknown, named: ReadonlyMap<string, Json>, seen: Set<string>): Omit<FieldType, 'nullable'> {
  if (typeof type === 'string') {
    const p = primitive[type];
    if (p) return { kind: p, symbols: [] };
    const def = named.get(type);
    if (!def || seen.has(type)) return { kind: 'other', symbols: [] };
    return classify(def, named, new Set([...seen, type]));
  }
  if (!isObject(type)) return { kind: 'other', symbols: [] };
  const { type: inner, logicalType } = type;
  if (logicalType === 'date' && inner === 'int') return { kind: 'date', symbols: [] };
  if ((logicalType === 'timestamp-millis' || logicalType === 'local-timestamp-millis') && inner === 'long') return { kind: 'timestamp-millis', symbols: [] };
  if ((logicalType === 'timestamp-micros' || logicalType === 'local-timestamp-micros') && inner === 'long') return { kind: 'timestamp-micros', symbols: [] };
  if (logicalType === 'decimal' && (inner === 'bytes' || inner === 'fixed')) return { kind: 'decimal', symbols: [] };
  if (inner === 'enum') return { kind: 'enum', symbols: Array.isArray(type.symbols) ? type.symbols.filter((s): s is string => typeof s === 'string') : [] };
  if (inner === 'record' || inner === 'array' || inner === 'map' || inner === 'fixed') return { kind: 'other', symbols: [] };
  return classify(inner, named, seen);
}

/** The kind of one field type (a union `["null", T]` is T, nullable), named types resolved. */
export function fieldTypeOf(type: unknown, named: ReadonlyMap<string, Json> = new Map()): FieldType {
  if (Array.isArray(type)) {
    const rest = type.filter((t) => t !== 'null');
    const nullable = rest.length < type.length;
    return rest.length === 1 ? { ...classify(rest[0], named, new Set()), nullable } : { kind: 'other', nullable, symbols: [] };
  }
  return { ...classify(type, named, new Set()), nullable: false };
}

const cache = new WeakMap<object, ReadonlyMap<string, FieldType>>();

/** Every field's type of a record schema, by field name; computed once per schema object. */
export function fieldTypesOf(schema: {
  readonly namespace?: unknown;
  readonly fields: readonly { readonly name: string; readonly type: unknown }[];
}): ReadonlyMap<string, FieldType> {
  const hit = cache.get(schema);
  if (hit) return hit;
  const named = new Map<string, Json>();
  collectNamed(
    schema.fields.map((f) => f.type),
    typeof schema.namespace === 'string' ? schema.namespace : '',
    named,
  );
  const out = new Map(schema.fields.map((f) => [f.name, fieldTypeOf(f.type, named)]));
  cache.set(schema, out);
  return out;
}

/** A field's type in its schema (a field the schema does not have is 'other'). */
export function typeOfField(schema: Parameters<typeof fieldTypesOf>[0], field: string): FieldType {
  return fieldTypesOf(schema).get(field) ?? { kind: 'other', nullable: false, symbols: [] };
}

/** A kind without its width: the numbers are one, the timestamps are one (what rules and masking care about). */
export type CoarseKind = 'string' | 'enum' | 'boolean' | 'number' | 'decimal' | 'date' | 'timestamp' | 'bytes' | 'other';

export function coarseKind(kind: FieldKind): CoarseKind {
  switch (kind) {
    case 'int':
    case 'long':
    case 'float':
    case 'double':
      return 'number';
    case 'timestamp-millis':
    case 'timestamp-micros':
      return 'timestamp';
    default:
      return kind;
  }
}
