import { addCalendarDays, addWorkingDays, chinaDate, type IsoDate } from './working-days.ts';

export interface Period {
  days: number;
  kind: 'working' | 'calendar';
}

/** Deadlines each city's regulation sets (BRIEF.md, article numbers in `basis`). */
export interface JurisdictionProfile {
  id: string;
  city: string;
  /** Catalog entries must be created or changed within this period of the triggering change. */
  catalogChange: Period & { basis: string };
}

export const jurisdictions = {
  hefei: { id: 'hefei', city: '合肥', catalogChange: { days: 10, kind: 'working', basis: '合肥 政务数据资源共享开放管理办法 第11条' } },
  fuzhou: { id: 'fuzhou', city: '抚州', catalogChange: { days: 3, kind: 'working', basis: '抚州 政务信息资源共享管理办法 第14条' } },
  wuxi: { id: 'wuxi', city: '无锡', catalogChange: { days: 15, kind: 'working', basis: '无锡 公共数据管理办法 第14条' } },
  quanzhou: { id: 'quanzhou', city: '泉州', catalogChange: { days: 10, kind: 'working', basis: '泉州 政务数据管理规定 (no period of its own; the common 10 working days)' } },
  zhongshan: { id: 'zhongshan', city: '中山', catalogChange: { days: 10, kind: 'working', basis: '中山 政务数据管理办法 第11条 (5 to submit + 5 to approve)' } },
} as const satisfies Record<string, JurisdictionProfile>;

export type JurisdictionId = keyof typeof jurisdictions;
export const jurisdictionIds = Object.keys(jurisdictions) as JurisdictionId[];

export function deadline(period: Period, from: Date): IsoDate {
  const start = chinaDate(from);
  return period.kind === 'working' ? addWorkingDays(start, period.days) : addCalendarDays(start, period.days);
}
