import { parseRule, type DatasetSchemaJson, type FieldSchemaJson } from '../contract/dataset-schema.ts';
import { codeListNamed } from './rules/code-lists/index.ts';
import { fieldShape } from './rules/field-shape.ts';
import { normalizePhone } from './rules/phone.ts';
import { trimText } from './rules/text.ts';

export interface Normalized {
  value: Record<string, unknown>;
  changes: { field: string; from: unknown; to: unknown }[];
}

/**
 * How a string field is canonicalised, chosen by its rules:
 * - identifier (resident-id, uscc, party-id, region-code, re-unit-code): every full-width ASCII
 *   character made half-width, all whitespace removed, letters upper-cased (a lower-case x check
 *   character becomes X);
 * - code (code-list): half-width, whitespace removed, upper-cased when the list is written in capitals;
 * - phone (phone-cn): half-width, then one spelling per number (see normalizePhone);
 * - text (everything else): full-width digits and Latin letters made half-width, the ideographic
 *   space made a plain space, then trimmed. Full-width punctuation stays: （）、，；： are the
 *   correct typography of Chinese names, document numbers and prose (GB/T 15834), and registers
 *   spell names with them. Inner whitespace stays too: addresses and business scopes may break
 *   lines on purpose, and the raw value is not to be rewritten beyond its canonical form.
 */
export type StringProfile = { kind: 'identifier' } | { kind: 'code'; upperCase: boolean } | { kind: 'phone' } | { kind: 'text' };

const identifierRules = new Set(['resident-id', 'uscc', 'party-id', 'region-code', 're-unit-code']);

const fullWidthAscii = /[\uFF01-\uFF5E]/g;
const fullWidthAlphanumeric = /[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g;
const ideographicSpace = /\u3000/g;
const anySpace = /[\s\u200B-\u200D\u2060]/g;

function halfWidth(text: string, which: RegExp): string {
  return text.replace(which, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(ideographicSpace, ' ');
}

function profileOf(field: FieldSchemaJson): StringProfile {
  const rules = (field.rules ?? []).map(parseRule);
  if (rules.some((r) => r?.name === 'phone-cn')) return { kind: 'phone' };
  if (rules.some((r) => r !== null && identifierRules.has(r.name))) return { kind: 'identifier' };
  const list = rules.find((r) => r?.name === 'code-list');
  if (list) return { kind: 'code', upperCase: codeListNamed(list.param ?? '').upperCase };
  return { kind: 'text' };
}

export function normalizeString(text: string, profile: StringProfile): string {
  switch (profile.kind) {
    case 'identifier':
      return halfWidth(text, fullWidthAscii).replace(anySpace, '').toUpperCase();
    case 'code': {
      const compact = halfWidth(text, fullWidthAscii).replace(anySpace, '');
      return profile.upperCase ? compact.toUpperCase() : compact;
    }
    case 'phone':
      return normalizePhone(trimText(halfWidth(text, fullWidthAscii)));
    case 'text':
      return trimText(halfWidth(text, fullWidthAlphanumeric));
  }
}

const profiles = new WeakMap<DatasetSchemaJson, ReadonlyMap<string, StringProfile>>();

function stringProfiles(schema: DatasetSchemaJson): ReadonlyMap<string, StringProfile> {
  let map = profiles.get(schema);
  if (map === undefined) {
    map = new Map(schema.fields.filter((f) => fieldShape(schema, f).kind === 'string').map((f) => [f.name, profileOf(f)]));
    profiles.set(schema, map);
  }
  return map;
}

/**
 * Returns a NEW record (the original is kept by the caller); never mutates its input. Only string
 * fields of the schema change, and only to other strings; every change is listed.
 */
export function normalizeRecord(schema: DatasetSchemaJson, value: Readonly<Record<string, unknown>>): Normalized {
  const out: Record<string, unknown> = { ...value };
  const changes: Normalized['changes'] = [];
  for (const [field, profile] of stringProfiles(schema)) {
    const from = value[field];
    if (typeof from !== 'string') continue;
    const to = normalizeString(from, profile);
    if (to === from) continue;
    out[field] = to;
    changes.push({ field, from, to });
  }
  return { value: out, changes };
}
