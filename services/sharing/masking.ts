import { createHmac } from 'node:crypto';

/** How a sensitive field (grade >= 3) leaves the hub unless the grant names it in `unmasked`. */
export const maskKinds = ['partial', 'hash', 'nullify', 'year-only'] as const;
export type MaskKind = (typeof maskKinds)[number];

/** What a field's non-null Avro type is, as far as masking cares. */
export type FieldShape = 'string' | 'enum' | 'number' | 'boolean' | 'date' | 'timestamp' | 'other';

/** Which characters `partial` keeps: identifiers 6 + 4, phones 3 + 4, names the surname only. */
export type PartialStyle = 'id' | 'phone' | 'name' | 'generic';

export interface MaskTarget {
  name: string;
  shape: FieldShape;
  rules: readonly string[];
}

export function isMaskKind(value: unknown): value is MaskKind {
  return typeof value === 'string' && (maskKinds as readonly string[]).includes(value);
}

const hasRule = (t: MaskTarget, rule: string) => t.rules.some((r) => r === rule || r.startsWith(`${rule}:`));

function isNameField(t: MaskTarget): boolean {
  return t.shape === 'string' && (t.name === 'name' || t.name.endsWith('_name'));
}

export function partialStyleOf(t: MaskTarget): PartialStyle {
  if (hasRule(t, 'resident-id') || hasRule(t, 'uscc') || hasRule(t, 'party-id')) return 'id';
  if (hasRule(t, 'phone-cn')) return 'phone';
  if (isNameField(t)) return 'name';
  return 'generic';
}

/** Identifiers, phones and names keep a recognisable part; dates keep the year; anything else is dropped. */
export function defaultMaskKind(t: MaskTarget): MaskKind {
  if (t.shape === 'date' || t.shape === 'timestamp') return 'year-only';
  if (t.shape === 'string' && partialStyleOf(t) !== 'generic') return 'partial';
  return 'nullify';
}

/** Why `kind` cannot mask this field, or null when it can. */
export function maskProblem(t: MaskTarget, kind: MaskKind): string | null {
  if (kind === 'partial' && t.shape !== 'string') return `partial masking applies to string fields; "${t.name}" is ${t.shape}`;
  if (kind === 'year-only' && t.shape !== 'date' && t.shape !== 'timestamp')
    return `year-only masking applies to dates and timestamps; "${t.name}" is ${t.shape}`;
  return null;
}

const keepOf: Record<Exclude<PartialStyle, 'name' | 'generic'>, [number, number]> = { id: [6, 4], phone: [3, 4] };

/** Stars over the middle; counts code points, so Chinese names mask per character. */
export function maskPartial(value: string, style: PartialStyle): string {
  const chars = Array.from(value);
  const n = chars.length;
  if (n === 0) return value;
  let [start, end] = style === 'name' ? [1, 0] : style === 'generic' ? [Math.max(1, Math.floor(n / 4)), Math.floor(n / 4)] : keepOf[style];
  if (start + end >= n) {
    // Too short to keep both ends and still hide something: keep the first character only.
    start = n === 1 ? 0 : 1;
    end = 0;
  }
  return chars.slice(0, start).join('') + '*'.repeat(n - start - end) + chars.slice(n - end).join('');
}

/** HMAC-SHA256 under the grant's salt: equal values stay joinable inside one grant, never across grants. */
export function maskHash(value: unknown, salt: string): string {
  return createHmac('sha256', salt).update(String(value)).digest('hex');
}

const dayMs = 86_400_000;

/** Avro-style values in, the same kind out: date = days since epoch, timestamp = epoch ms (UTC). */
export function maskYearOnly(value: number, shape: 'date' | 'timestamp'): number {
  const ms = shape === 'date' ? value * dayMs : value;
  const jan1 = Date.UTC(new Date(ms).getUTCFullYear(), 0, 1);
  return shape === 'date' ? jan1 / dayMs : jan1;
}

export function maskValue(value: unknown, kind: MaskKind, target: MaskTarget, salt: string): unknown {
  if (value === null || value === undefined || kind === 'nullify') return null;
  switch (kind) {
    case 'partial':
      return maskPartial(String(value), partialStyleOf(target));
    case 'hash':
      return maskHash(value, salt);
    case 'year-only':
      if (typeof value !== 'number' || (target.shape !== 'date' && target.shape !== 'timestamp')) return null;
      return maskYearOnly(value, target.shape);
  }
}
