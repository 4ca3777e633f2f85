import type { FieldKind } from './field-shape.ts';
import { wrongType, type RuleCheck } from './finding.ts';

export const dayMs = 86_400_000;
/** China Standard Time, UTC+8 all year (no daylight saving). */
const chinaOffsetMs = 8 * 3_600_000;
const maxDateMs = 8.64e15;

/** Today's Avro `date` (days since 1970-01-01) on a clock in China. */
export function chinaToday(now: number): number {
  return Math.floor((now + chinaOffsetMs) / dayMs);
}

/** The last millisecond of today in China: the clock-skew allowance for timestamps. */
export function endOfChinaToday(now: number): number {
  return (chinaToday(now) + 1) * dayMs - chinaOffsetMs - 1;
}

export function formatDay(days: number): string {
  const ms = days * dayMs;
  return Math.abs(ms) <= maxDateMs ? new Date(ms).toISOString().slice(0, 10) : `day ${days}`;
}

/** Days since 1970-01-01 of a proleptic Gregorian date, or null if there is no such day (Feb 30). */
export function calendarDay(year: number, month: number, day: number): number | null {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return Math.round(d.getTime() / dayMs);
}

/** A date or time value in epoch milliseconds, or null when it is not a whole number. */
function instant(value: unknown, kind: FieldKind): number | null {
  if (typeof value !== 'number' || !Number.isInteger(value)) return null;
  if (kind === 'date') return value * dayMs;
  if (kind === 'timestamp-micros') return Math.floor(value / 1000);
  return value;
}

function expected(kind: FieldKind): string {
  return kind === 'date' ? 'a date (whole days since 1970-01-01)' : 'a timestamp (whole epoch milliseconds)';
}

export const datePast: RuleCheck = (value, { shape, now }) => {
  const at = instant(value, shape.kind);
  if (at === null) return wrongType(expected(shape.kind), value);
  if (shape.kind === 'date') {
    const today = chinaToday(now);
    return at > today * dayMs ? `日期晚于今天 (must not be after today, ${formatDay(today)} China time)` : null;
  }
  return at > endOfChinaToday(now) ? `时间晚于今天 (must not be after the end of today, ${formatDay(chinaToday(now))} China time)` : null;
};

export const notBefore: RuleCheck = (value, { shape, param, record }) => {
  const other = param === null ? null : record[param];
  if (other === null || other === undefined) return null;
  const at = instant(value, shape.kind);
  if (at === null) return wrongType(expected(shape.kind), value);
  const otherAt = instant(other, shape.kind);
  if (otherAt === null) return `无法与${param}比较 (${param} is not ${expected(shape.kind)})`;
  const what = shape.kind === 'date' ? '日期' : '时间';
  return at < otherAt ? `${what}早于${param} (must not be before ${param})` : null;
};
