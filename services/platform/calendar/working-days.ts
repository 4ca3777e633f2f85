/**
 * Working-day arithmetic on calendar dates (YYYY-MM-DD, the date in China). For now only weekends
 * are days off; the sharing issue adds the official holidays and make-up working days (调休).
 */
export type IsoDate = string;

const dayMs = 86_400_000;
/** China Standard Time has no daylight saving: a fixed +08:00 is exact. */
const chinaOffsetMs = 8 * 60 * 60 * 1000;

export function chinaDate(at: Date): IsoDate {
  return new Date(at.getTime() + chinaOffsetMs).toISOString().slice(0, 10);
}

function shift(date: IsoDate, days: number): IsoDate {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
}

export function isWorkingDay(date: IsoDate): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** The date `n` working days after `date` (the start day itself does not count). */
export function addWorkingDays(date: IsoDate, n: number): IsoDate {
  let d = date;
  for (let left = n; left > 0; ) {
    d = shift(d, 1);
    if (isWorkingDay(d)) left--;
  }
  return d;
}

export function addCalendarDays(date: IsoDate, n: number): IsoDate {
  return shift(date, n);
}
