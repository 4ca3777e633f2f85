/**
 * Working-day arithmetic on calendar dates (YYYY-MM-DD, the date in China): weekends and public
 * holidays are off, the official make-up working days (调休) are on. The data is the State Council's
 * yearly notice, shipped as ops/calendar/cn-holidays.json (generated from the `chinese-days`
 * package by ops/calendar/build-cn-holidays.ts); a newer notice can be loaded with loadCalendarFile.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { HubError } from '../errors.ts';

export type IsoDate = string;

export interface CalendarYear {
  /** Days off, weekend days inside a holiday included. */
  readonly holidays: readonly IsoDate[];
  /** Make-up working days (调休) that fall on a weekend. */
  readonly workdays: readonly IsoDate[];
}

/** Keyed by year ("2025"). A year present here is complete: its other days follow the weekend rule. */
export type CalendarData = Readonly<Record<string, CalendarYear>>;

export interface WorkingCalendar {
  isWorkingDay(date: IsoDate): boolean;
  /** The date `n` working days after `date` (the start day itself does not count); n < 0 goes back. */
  addWorkingDays(date: IsoDate, n: number): IsoDate;
  addCalendarDays(date: IsoDate, n: number): IsoDate;
  readonly coveredYears: readonly number[];
}

export type CalendarLog = Pick<Logger, 'warn'>;

const dayMs = 86_400_000;
/** China Standard Time has no daylight saving: a fixed +08:00 is exact. */
const chinaOffsetMs = 8 * 60 * 60 * 1000;
const isoDatePattern = /^\d{4}-\d{2}-\d{2}$/;

export function chinaDate(at: Date): IsoDate {
  return new Date(at.getTime() + chinaOffsetMs).toISOString().slice(0, 10);
}

function dayNumber(date: IsoDate): number {
  const ms = isoDatePattern.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) throw new RangeError(`not a calendar date (YYYY-MM-DD): "${date}"`);
  return ms / dayMs;
}

function shift(date: IsoDate, days: number): IsoDate {
  return new Date((dayNumber(date) + days) * dayMs).toISOString().slice(0, 10);
}

function isWeekday(date: IsoDate): boolean {
  const weekday = new Date(dayNumber(date) * dayMs).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

function invalid(source: string, message: string): HubError {
  return new HubError('HUB_ERR_CONFIG', `calendar ${source}: ${message}`);
}

/** Checks data of the cn-holidays.json format; errors name the source and the offending entry. */
export function parseCalendarData(raw: unknown, source: string): CalendarData {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(source, 'expected an object keyed by year, e.g. {"2025": {"holidays": [...], "workdays": [...]}}');
  const data: Record<string, CalendarYear> = {};
  const entries = Object.entries(raw);
  if (entries.length === 0) throw invalid(source, 'holds no years');
  for (const [year, value] of entries) {
    if (!/^\d{4}$/.test(year)) throw invalid(source, `"${year}" is not a year (YYYY)`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(source, `${year}: expected {"holidays": [...], "workdays": [...]}`);
    const lists: Record<'holidays' | 'workdays', IsoDate[]> = { holidays: [], workdays: [] };
    for (const key of Object.keys(value)) {
      if (key !== 'holidays' && key !== 'workdays') throw invalid(source, `${year}: unknown key "${key}" (only "holidays" and "workdays")`);
    }
    for (const key of ['holidays', 'workdays'] as const) {
      const list: unknown = (value as Record<string, unknown>)[key];
      if (!Array.isArray(list)) throw invalid(source, `${year}.${key}: expected an array of dates`);
      list.forEach((date: unknown, i) => {
        const at = `${year}.${key}[${i}]`;
        if (typeof date !== 'string') throw invalid(source, `${at}: expected a date string, got ${JSON.stringify(date)}`);
        try {
          dayNumber(date);
        } catch {
          throw invalid(source, `${at}: "${date}" is not a calendar date (YYYY-MM-DD)`);
        }
        if (!date.startsWith(`${year}-`)) throw invalid(source, `${at}: ${date} is not in ${year}`);
        lists[key].push(date);
      });
    }
    const holidays = new Set(lists.holidays);
    const both = lists.workdays.find((date) => holidays.has(date));
    if (both !== undefined) throw invalid(source, `${year}: ${both} is both a holiday and a make-up working day`);
    data[year] = { holidays: lists.holidays, workdays: lists.workdays };
  }
  return data;
}

/** Reads and validates a calendar JSON file (same format as ops/calendar/cn-holidays.json). */
export function loadCalendarFile(path: string | URL): CalendarData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HubError('HUB_ERR_CONFIG', `calendar ${String(path)}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new HubError('HUB_ERR_CONFIG', `calendar ${String(path)}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseCalendarData(raw, String(path));
}

/** Later layers replace whole years of earlier ones (a newer notice supersedes the year it covers). */
export function mergeCalendars(...layers: readonly CalendarData[]): CalendarData {
  return Object.assign({}, ...layers) as CalendarData;
}

export const shippedCalendarUrl = new URL('../../../ops/calendar/cn-holidays.json', import.meta.url);

let shipped: CalendarData | undefined;
export function shippedCalendar(): CalendarData {
  shipped ??= loadCalendarFile(shippedCalendarUrl);
  return shipped;
}

const consoleLog: CalendarLog = {
  warn: ((obj: object, msg?: string) => process.emitWarning(`${msg ?? ''} ${JSON.stringify(obj)}`, 'CalendarWarning')) as CalendarLog['warn'],
};

export function createWorkingCalendar(options: { data?: CalendarData; log?: CalendarLog } = {}): WorkingCalendar {
  const data = options.data ?? shippedCalendar();
  const log = options.log ?? consoleLog;
  const off = new Set<IsoDate>();
  const on = new Set<IsoDate>();
  for (const year of Object.values(data)) {
    for (const date of year.holidays) off.add(date);
    for (const date of year.workdays) on.add(date);
  }
  const covered = new Set(Object.keys(data).map(Number));
  const coveredYears = Object.freeze([...covered].sort((a, b) => a - b));
  const warned = new Set<number>();

  function isWorkingDay(date: IsoDate): boolean {
    dayNumber(date);
    const year = Number(date.slice(0, 4));
    if (!covered.has(year) && !warned.has(year)) {
      warned.add(year);
      log.warn(
        { year, coveredYears },
        `no official holiday calendar for ${year}: counting weekends only; load the State Council notice for ${year} (loadCalendarFile)`,
      );
    }
    if (on.has(date)) return true;
    if (off.has(date)) return false;
    return isWeekday(date);
  }

  function addWorkingDays(date: IsoDate, n: number): IsoDate {
    if (!Number.isInteger(n)) throw new RangeError(`working days must be a whole number, got ${n}`);
    const step = n < 0 ? -1 : 1;
    let d = date;
    for (let left = Math.abs(n); left > 0; ) {
      d = shift(d, step);
      if (isWorkingDay(d)) left--;
    }
    return d;
  }

  return { isWorkingDay, addWorkingDays, addCalendarDays, coveredYears };
}

export function addCalendarDays(date: IsoDate, n: number): IsoDate {
  if (!Number.isInteger(n)) throw new RangeError(`calendar days must be a whole number, got ${n}`);
  return shift(date, n);
}

let fallback: WorkingCalendar | undefined;
/** The calendar of the shipped data, used where no calendar is passed. */
export function defaultCalendar(): WorkingCalendar {
  fallback ??= createWorkingCalendar();
  return fallback;
}

export function isWorkingDay(date: IsoDate): boolean {
  return defaultCalendar().isWorkingDay(date);
}

export function addWorkingDays(date: IsoDate, n: number): IsoDate {
  return defaultCalendar().addWorkingDays(date, n);
}
