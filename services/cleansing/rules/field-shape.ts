import type { DatasetSchemaJson, FieldSchemaJson } from '../../contract/dataset-schema.ts';
import { typeOfField } from '../../contract/field-kind.ts';

/** What a field holds once ingest has coerced it, as rules see it (from contract/field-kind.ts). */
export type FieldKind = 'string' | 'number' | 'decimal' | 'date' | 'timestamp-millis' | 'timestamp-micros' | 'enum' | 'boolean' | 'other';

export interface FieldShape {
  readonly kind: FieldKind;
  /** `["null", T]`: null means "absent". */
  readonly optional: boolean;
}

export function fieldShape(schema: DatasetSchemaJson, field: FieldSchemaJson): FieldShape {
  const { kind, nullable } = typeOfField(schema, field.name);
  const shape: FieldKind = kind === 'int' || kind === 'long' || kind === 'float' || kind === 'double' ? 'number' : kind === 'bytes' ? 'other' : kind;
  return { kind: shape, optional: nullable };
}
