/**
 * Regenerates ops/calendar/cn-holidays.json from the `chinese-days` npm package (dev dependency),
 * which tracks the State Council's yearly holiday notice (国务院办公厅关于节假日安排的通知).
 * Run after `npm update chinese-days`:  npx tsx ops/calendar/build-cn-holidays.ts
 */
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCalendarData, type CalendarData } from '../../services/platform/calendar/working-days.ts';

interface ChineseDaysData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

const require = createRequire(import.meta.url);
const source = require('chinese-days/dist/chinese-days.json') as ChineseDaysData;
const { version } = require('chinese-days/package.json') as { version: string };

const years: Record<string, { holidays: string[]; workdays: string[] }> = {};
const year = (date: string) => (years[date.slice(0, 4)] ??= { holidays: [], workdays: [] });
for (const date of Object.keys(source.holidays)) year(date).holidays.push(date);
for (const date of Object.keys(source.workdays)) year(date).workdays.push(date);

const sorted: CalendarData = Object.fromEntries(
  Object.keys(years)
    .sort()
    .map((y) => {
      const { holidays, workdays } = years[y]!;
      return [y, { holidays: holidays.sort(), workdays: workdays.sort() }];
    }),
);
// The same validation the hub applies when it loads the file.
parseCalendarData(sorted, 'chinese-days');

const out = fileURLToPath(new URL('./cn-holidays.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`wrote ${out}: years ${Object.keys(sorted).join(', ')} (chinese-days ${version})`);
