import { describe, expect, it } from 'vitest';
import { chinaToday, endOfChinaToday, formatDay } from '../../../services/cleansing/rules/dates.ts';
import { ruleSeverity } from '../../../services/cleansing/rules/index.ts';
import { day, ts } from '../../schemas/samples.ts';
import { dateType, findingsFor, now, problem, timestampType } from './helpers.ts';

const optionalDate = ['null', dateType];
const optionalTimestamp = ['null', timestampType];

describe('China time', () => {
  it('counts days in UTC+8', () => {
    expect(chinaToday(ts('2024-06-01T00:00:00+08:00'))).toBe(day('2024-06-01'));
    expect(chinaToday(ts('2024-05-31T23:59:59.999+08:00'))).toBe(day('2024-05-31'));
    // 17:00 UTC on May 31 is already June 1 in China.
    expect(chinaToday(ts('2024-05-31T17:00:00Z'))).toBe(day('2024-06-01'));
    expect(endOfChinaToday(now)).toBe(ts('2024-06-01T23:59:59.999+08:00'));
    expect(formatDay(day('2024-06-01'))).toBe('2024-06-01');
    expect(formatDay(2 ** 31 - 1)).toBe(`day ${2 ** 31 - 1}`);
  });
});

describe('date-past', () => {
  it.each([
    ['a date long ago', day('1990-03-15')],
    ['today', day('2024-06-01')],
    ['a date before 1970', day('1949-10-01')],
  ])('accepts %s', (_, value) => {
    expect(problem('date-past', value, dateType)).toBeNull();
  });

  it.each([
    ['tomorrow', day('2024-06-02')],
    ['next year', day('2025-01-01')],
  ])('refuses %s', (_, value) => {
    expect(problem('date-past', value, dateType)).toBe('日期晚于今天 (must not be after today, 2024-06-01 China time)');
  });

  it.each([
    ['a past timestamp', ts('2024-05-10T09:30:00+08:00')],
    ['now', now],
    ['later today (clock skew)', ts('2024-06-01T23:59:59.999+08:00')],
  ])('accepts %s', (_, value) => {
    expect(problem('date-past', value, timestampType)).toBeNull();
  });

  it.each([
    ['tomorrow in China', ts('2024-06-02T00:00:00+08:00')],
    ['next year', ts('2025-01-01T00:00:00+08:00')],
  ])('refuses %s as a timestamp', (_, value) => {
    expect(problem('date-past', value, timestampType)).toContain('时间晚于今天');
  });

  it('reads timestamp-micros in microseconds', () => {
    const micros = { type: 'long', logicalType: 'timestamp-micros' };
    expect(problem('date-past', now * 1000, micros)).toBeNull();
    expect(problem('date-past', ts('2024-06-02T00:00:00+08:00') * 1000, micros)).toContain('时间晚于今天');
  });

  it('reports values that are not whole numbers', () => {
    expect(problem('date-past', '2024-01-01', dateType)).toContain('expected a date (whole days since 1970-01-01), got string');
    expect(problem('date-past', 1.5, timestampType)).toContain('expected a timestamp');
  });

  it('skips null, and is an error', () => {
    expect(findingsFor('date-past', null, optionalDate)).toEqual([]);
    expect(findingsFor('date-past', null, optionalTimestamp)).toEqual([]);
    expect(ruleSeverity['date-past']).toBe('error');
    expect(findingsFor('date-past', day('2030-01-01'), dateType)[0]?.severity).toBe('error');
  });
});

describe('not-before:<field>', () => {
  const birth = day('1990-03-15');

  it.each([
    ['a later date', day('2060-01-01'), birth],
    ['the same day', birth, birth],
    ['an absent other field', day('1980-01-01'), null],
  ])('accepts %s', (_, value, other) => {
    expect(problem('not-before:start', value, optionalDate, { start: other })).toBeNull();
  });

  it('refuses an earlier date', () => {
    expect(problem('not-before:start', day('1989-12-31'), optionalDate, { start: birth })).toBe('日期早于start (must not be before start)');
  });

  it('compares timestamps to the millisecond', () => {
    const t = ts('2024-05-01T08:00:00+08:00');
    expect(problem('not-before:start', t, timestampType, { start: t })).toBeNull();
    expect(problem('not-before:start', t - 1, timestampType, { start: t })).toBe('时间早于start (must not be before start)');
  });

  it('skips a null value, and is an error', () => {
    expect(findingsFor('not-before:start', null, optionalDate, { start: birth })).toEqual([]);
    expect(ruleSeverity['not-before']).toBe('error');
    expect(findingsFor('not-before:start', day('1980-01-01'), optionalDate, { start: birth })[0]).toMatchObject({
      rule: 'not-before:start',
      severity: 'error',
    });
  });

  it('reports a malformed other field instead of passing it', () => {
    expect(problem('not-before:start', birth, optionalDate, { start: 'yesterday' })).toContain('无法与start比较');
  });
});
