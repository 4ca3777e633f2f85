import type { DatasetSchemaJson, FieldSchemaJson } from '../../../services/contract/dataset-schema.ts';
import { checkRecord, type Finding } from '../../../services/cleansing/rules/index.ts';
import { orgCodeCheckChar, residentIdCheckChar, usccCheckChar } from '../../schemas/check-digits.ts';
import { ts } from '../../schemas/samples.ts';

/** The clock every rule test runs on: noon in Hefei on 2024-06-01. */
export const now = ts('2024-06-01T12:00:00+08:00');

/** A resident ID with its correct check character (computed by the test-side reference). */
export function personId(first17: string): string {
  return first17 + residentIdCheckChar(first17);
}

/** A USCC with correct GB 11714 and GB 32100 check characters: authority+type (2), region (6), org code body (8). */
export function usccOf(head8: string, orgBody8: string): string {
  const first17 = head8 + orgBody8 + orgCodeCheckChar(orgBody8);
  return first17 + usccCheckChar(first17);
}

/** The same code with its last character replaced by another one from `alphabet`. */
export function flipLast(code: string, alphabet: string): string {
  const last = code.charAt(code.length - 1);
  const other = alphabet.charAt((alphabet.indexOf(last) + 1) % alphabet.length);
  return code.slice(0, -1) + other;
}

export const residentIdChars = '0123456789X';
export const usccChars = '0123456789ABCDEFGHJKLMNPQRTUWXY';

export const dateType = { type: 'int', logicalType: 'date' } as const;
export const timestampType = { type: 'long', logicalType: 'timestamp-millis' } as const;

/** A minimal record schema around the given fields (no convention checks: rules only). */
export function schemaOf(fields: readonly Partial<FieldSchemaJson>[]): DatasetSchemaJson {
  return {
    type: 'record',
    name: 'RuleTest',
    namespace: 'gov.hub.theme',
    doc: '规则测试',
    dataset: 'theme.rule_test',
    layer: 'theme',
    businessKey: [],
    fields: fields.map((f, i) => ({ name: `f${i}`, type: 'string', doc: '字段', grade: 1, ...f })),
  };
}

/** Findings of one rule on one value of a field of `type` (optional when `type` is a union). */
export function findingsFor(rule: string, value: unknown, type: unknown = 'string', record: Record<string, unknown> = {}, at = now): Finding[] {
  const schema = schemaOf([{ name: 'subject', type, rules: [rule] }, ...Object.keys(record).map((name) => ({ name, type }))]);
  return checkRecord(schema, { ...record, subject: value }, { now: at });
}

/** The message of the single finding, or null when the value passes. */
export function problem(rule: string, value: unknown, type: unknown = 'string', record: Record<string, unknown> = {}, at = now): string | null {
  const findings = findingsFor(rule, value, type, record, at);
  if (findings.length > 1) throw new Error(`expected at most one finding, got ${findings.length}`);
  return findings[0]?.message ?? null;
}

/** A small deterministic generator, so that "random" cases are the same on every run. */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
