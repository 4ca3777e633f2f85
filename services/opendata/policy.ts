import { createHash } from 'node:crypto';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import type { openTypes } from '../catalog/entry.ts';
import { defaultMaskKind, maskValue, type MaskKind, type MaskTarget } from '../sharing/masking.ts';
import { sensitiveGrade, shapeOf } from '../sharing/share-schema.ts';

/** Grade 4 (高敏感) never opens; grade 3 (敏感) opens only desensitized. */
export const neverOpenGrade = 4;

export type OpenType = (typeof openTypes)[number];

/** The most restrictive of several open types (one provider keeping its data closed keeps the dataset closed). */
export function mostRestrictive(types: readonly OpenType[]): OpenType {
  if (types.length === 0 || types.includes('not_open')) return 'not_open';
  return types.includes('on_application') ? 'on_application' : 'open';
}

export interface PublishedField extends MaskTarget {
  doc: string;
  grade: number;
  /** null: published as landed. */
  mask: MaskKind | null;
}

/** The fields an open dataset publishes, in schema order: grade 4 dropped, grade 3 desensitized with the sharing service's default masking. */
export function publishedFields(schema: DatasetSchema): PublishedField[] {
  return schema.fields
    .filter((f) => f.grade < neverOpenGrade)
    .map((f) => {
      const target: MaskTarget = { name: f.name, shape: shapeOf(f.kind), rules: f.rules };
      return { ...target, doc: f.doc, grade: f.grade, mask: f.grade >= sensitiveGrade ? defaultMaskKind(target) : null };
    });
}

/** Changes whenever what a snapshot would hold changes its shape: the fields and their masking. */
export function planHash(fields: readonly PublishedField[]): string {
  return createHash('sha256')
    .update(JSON.stringify(fields.map((f) => [f.name, f.mask])))
    .digest('hex')
    .slice(0, 16);
}

const dayMs = 86_400_000;

/** A landed (Avro-style) value as an open file shows it: dates as YYYY-MM-DD, times in ISO 8601, a year-only date as its year. */
export function openValue(field: PublishedField, value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  const masked = field.mask === null ? value : maskValue(value, field.mask, field, field.name);
  if (masked === null || masked === undefined) return null;
  if (field.mask === 'year-only' && typeof masked === 'number') {
    return new Date(field.shape === 'date' ? masked * dayMs : masked).getUTCFullYear();
  }
  if (field.shape === 'date' && typeof masked === 'number') return new Date(masked * dayMs).toISOString().slice(0, 10);
  if (field.shape === 'timestamp' && typeof masked === 'number') return new Date(masked).toISOString();
  if (typeof masked === 'string' || typeof masked === 'number' || typeof masked === 'boolean') return masked;
  return JSON.stringify(masked);
}
