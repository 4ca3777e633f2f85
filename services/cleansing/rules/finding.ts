import type { FieldShape } from './field-shape.ts';

export type Severity = 'error' | 'warning';

/**
 * One rule one field of one record broke. `rule` is the rule as the schema writes it
 * (`max-length:50`, `not-before:birth_date`). `message` never repeats the value, so it can go to
 * logs and alert lists; `value` carries it and is as sensitive as the field's grade.
 */
export interface Finding {
  field: string;
  rule: string;
  severity: Severity;
  message: string;
  value: unknown;
}

export interface RuleContext {
  readonly field: string;
  readonly shape: FieldShape;
  /** The text after `name:`, or null. */
  readonly param: string | null;
  /** The whole (normalized) record, for rules that compare two fields. */
  readonly record: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds that "today" and "now" mean. */
  readonly now: number;
}

/** A failed check's message (Chinese, then English in brackets), or null when the value passes. */
export type RuleCheck = (value: unknown, context: RuleContext) => string | null;

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value;
}

export function wrongType(expected: string, value: unknown): string {
  return `类型错误 (expected ${expected}, got ${typeName(value)})`;
}
