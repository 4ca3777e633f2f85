import type { FieldSchemaJson } from '../../contract/dataset-schema.ts';

/** What a field holds once ingest has coerced it (see services/ingest/coerce.ts). */
export type FieldKind = 'string' | 'number' | 'decimal' | 'date' | 'timestamp-millis' | 'timestamp-micros' | 'enum' | 'boolean' | 'other';

export interface FieldShape {
  readonly kind: FieldKind;
  /** `["null", T]`: null means "absent". */
  readonly optional: boolean;
}

function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function kindOf(type: unknown): FieldKind {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        return 'string';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'boolean':
        return 'boolean';
      default:
        return 'other';
    }
  }
  if (typeof type !== 'object' || type === null || isArray(type)) return 'other';
  const { type: inner, logicalType } = type as { type?: unknown; logicalType?: unknown };
  if (logicalType === 'date' && inner === 'int') return 'date';
  if ((logicalType === 'timestamp-millis' || logicalType === 'local-timestamp-millis') && inner === 'long') return 'timestamp-millis';
  if ((logicalType === 'timestamp-micros' || logicalType === 'local-timestamp-micros') && inner === 'long') return 'timestamp-micros';
  if (logicalType === 'decimal' && (inner === 'bytes' || inner === 'fixed')) return 'decimal';
  if (inner === 'enum') return 'enum';
  if (inner === 'record' || inner === 'array' || inner === 'map' || inner === 'fixed') return 'other';
  return kindOf(inner);
}

export function fieldShape(field: FieldSchemaJson): FieldShape {
  const type = field.type;
  if (!isArray(type)) return { kind: kindOf(type), optional: false };
  const rest = type.filter((t) => t !== 'null');
  return { kind: rest.length === 1 ? kindOf(rest[0]) : 'other', optional: rest.length < type.length };
}
