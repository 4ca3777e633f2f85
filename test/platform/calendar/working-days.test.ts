import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HubError } from '../../../services/platform/errors.ts';
import {
  addCalendarDays,
  addWorkingDays,
  createWorkingCalendar,
  isWorkingDay,
  loadCalendarFile,
  mergeCalendars,
  shippedCalendar,
  type CalendarLog,
} from '../../../services/platform/calendar/working-days.ts';

function recordingLog(): CalendarLog & { warnings: string[] } {
  const warnings: string[] = [];
  const warn = ((_obj: object, msg: string) => {
    warnings.push(msg);
  }) as CalendarLog['warn'];
  return { warn, warnings };
}

const dir = mkdtempSync(join(tmpdir(), 'hub-calendar-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('working calendar (shipped State Council data)', () => {
  const calendar = createWorkingCalendar({ log: recordingLog() });

  it('National Day 2024: 10-01..07 off, Sunday 09-29 and Saturday 10-12 are make-up working days', () => {
    expect(calendar.isWorkingDay('2024-09-29')).toBe(true);
    expect(calendar.isWorkingDay('2024-10-12')).toBe(true);
    for (let d = 1; d <= 7; d++) expect(calendar.isWorkingDay(`2024-10-0${d}`)).toBe(false);
    expect(calendar.isWorkingDay('2024-10-08')).toBe(true);
    // Friday 09-27: Sun 09-29, Mon 09-30, then 10-08, 10-09, 10-10 (weekends only would give 10-04).
    expect(calendar.addWorkingDays('2024-09-27', 5)).toBe('2024-10-10');
    expect(calendar.addWorkingDays('2024-10-11', 1)).toBe('2024-10-12');
  });

  it('Spring Festival 2025: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 are working days', () => {
    expect(calendar.isWorkingDay('2025-01-26')).toBe(true);
    expect(calendar.isWorkingDay('2025-02-08')).toBe(true);
    expect(calendar.isWorkingDay('2025-01-28')).toBe(false);
    expect(calendar.isWorkingDay('2025-02-04')).toBe(false);
    // Friday 01-24: Sun 01-26, Mon 01-27, then Wed 02-05 (weekends only would give 01-29).
    expect(calendar.addWorkingDays('2025-01-24', 3)).toBe('2025-02-05');
    expect(calendar.addWorkingDays('2025-02-05', -3)).toBe('2025-01-24');
  });

  it('plain weeks: weekends are off, the start day does not count', () => {
    expect(calendar.isWorkingDay('2024-11-02')).toBe(false);
    expect(calendar.addWorkingDays('2024-11-01', 5)).toBe('2024-11-08');
    expect(calendar.addWorkingDays('2024-11-01', 0)).toBe('2024-11-01');
    expect(calendar.addCalendarDays('2024-12-28', 5)).toBe('2025-01-02');
    expect(addCalendarDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('the module-level functions use the shipped calendar', () => {
    expect(isWorkingDay('2024-10-12')).toBe(true);
    expect(addWorkingDays('2024-09-27', 5)).toBe('2024-10-10');
  });

  it('covers the years of the data and rejects malformed dates', () => {
    expect(calendar.coveredYears).toContain(2024);
    expect(calendar.coveredYears).toContain(2026);
    expect(() => calendar.isWorkingDay('2024-02-30')).toThrow(RangeError);
    expect(() => calendar.addWorkingDays('2024-01-01', 1.5)).toThrow(RangeError);
  });

  it('agrees with the chinese-days package on every day of every covered year', () => {
    const require = createRequire(import.meta.url);
    const { isWorkday } = require('chinese-days') as { isWorkday(date: string): boolean };
    let checked = 0;
    for (const year of calendar.coveredYears) {
      for (let d = `${year}-01-01`; d.startsWith(String(year)); d = addCalendarDays(d, 1)) {
        expect(calendar.isWorkingDay(d), d).toBe(isWorkday(d));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(365 * 10);
  });
});

describe('years beyond the data', () => {
  it('fall back to weekends only, with one warning per year', () => {
    const log = recordingLog();
    const calendar = createWorkingCalendar({ log });
    const beyond = Math.max(...calendar.coveredYears) + 5;
    // 1 October is a holiday every covered year; a year without data only knows weekends.
    const octFirst = `${beyond}-10-01`;
    const weekday = new Date(`${octFirst}T00:00:00Z`).getUTCDay();
    expect(calendar.isWorkingDay(octFirst)).toBe(weekday !== 0 && weekday !== 6);
    calendar.addWorkingDays(`${beyond}-03-01`, 30);
    calendar.isWorkingDay(`${beyond}-12-31`);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toContain(`no official holiday calendar for ${beyond}`);
    calendar.isWorkingDay(`${beyond + 1}-01-02`);
    expect(log.warnings).toHaveLength(2);
  });

  it('a covered year logs nothing', () => {
    const log = recordingLog();
    createWorkingCalendar({ log }).addWorkingDays('2025-01-24', 40);
    expect(log.warnings).toEqual([]);
  });
});

describe('loadCalendarFile', () => {
  it('a newer file extends the shipped years and overrides the ones it holds', () => {
    const path = file('newer.json', {
      2024: { holidays: [], workdays: [] },
      2099: { holidays: ['2099-10-01', '2099-10-02'], workdays: ['2099-10-10'] },
    });
    const log = recordingLog();
    const calendar = createWorkingCalendar({ data: mergeCalendars(shippedCalendar(), loadCalendarFile(path)), log });
    expect(calendar.coveredYears).toContain(2099);
    expect(calendar.coveredYears).toContain(2025);
    expect(calendar.isWorkingDay('2099-10-01')).toBe(false); // a Thursday
    expect(calendar.isWorkingDay('2099-10-10')).toBe(true); // a Saturday
    expect(calendar.isWorkingDay('2024-10-01')).toBe(true); // the file's 2024 replaces the shipped one
    expect(calendar.isWorkingDay('2025-01-28')).toBe(false);
    expect(log.warnings).toEqual([]);
  });

  it('the shipped file loads through the same validation', () => {
    expect(Object.keys(loadCalendarFile(new URL('../../../ops/calendar/cn-holidays.json', import.meta.url)))).toContain('2025');
  });

  const bad: [string, unknown, RegExp][] = [
    ['not-json.json', '{"2027": ', /not valid JSON/],
    ['array.json', [], /expected an object keyed by year/],
    ['empty.json', {}, /holds no years/],
    ['year.json', { '27': { holidays: [], workdays: [] } }, /"27" is not a year/],
    ['missing.json', { 2027: { holidays: [] } }, /2027\.workdays: expected an array of dates/],
    ['extra-key.json', { 2027: { holidays: [], workdays: [], names: [] } }, /unknown key "names"/],
    ['bad-date.json', { 2027: { holidays: ['2027-02-30'], workdays: [] } }, /2027\.holidays\[0\]: "2027-02-30" is not a calendar date/],
    ['number.json', { 2027: { holidays: [20270101], workdays: [] } }, /2027\.holidays\[0\]: expected a date string/],
    ['wrong-year.json', { 2027: { holidays: ['2028-01-01'], workdays: [] } }, /2028-01-01 is not in 2027/],
    ['both.json', { 2027: { holidays: ['2027-10-09'], workdays: ['2027-10-09'] } }, /2027-10-09 is both a holiday and a make-up working day/],
  ];
  it.each(bad)('rejects %s with a clear error', (name, content, message) => {
    const path = file(name, content);
    let error: unknown;
    try {
      loadCalendarFile(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe('HUB_ERR_CONFIG');
    expect((error as HubError).message).toMatch(message);
    expect((error as HubError).message).toContain(path);
  });

  it('a missing file names the path', () => {
    expect(() => loadCalendarFile(join(dir, 'nope.json'))).toThrow(/nope\.json: cannot read/);
  });
});
