import { addCalendarDays, chinaDate, defaultCalendar, type IsoDate, type WorkingCalendar } from './working-days.ts';

export interface Period {
  readonly days: number;
  readonly kind: 'working' | 'calendar';
}

export type Rule = Period & { readonly basis: string };

/** What a provider's silence past the answer period means for a conditional-sharing application. */
export type OnSilence = 'consent' | 'authority-provides' | 'escalate';

export interface ApplicationRule {
  /**
   * Who decides a conditional application: the authoritative provider of the requested fields, or
   * the data authority after consulting that provider (会商).
   */
  readonly decidedBy: 'provider' | 'authority-consulting-provider';
  /** The provider answers (agrees or refuses with reasons) within this period of the application. */
  readonly answer: Period;
  readonly onSilence: OnSilence;
  /** After agreeing, the provider delivers within this period. */
  readonly deliver?: Period;
  /** With onSilence 'authority-provides': the authority provides the data itself within this period. */
  readonly authorityProvides?: Period;
  /** The answer period may be extended once by at most this much. */
  readonly extension?: Period;
  readonly basis: string;
}

export interface CorrectionRule {
  /** The provider verifies reported problem data within this period. */
  readonly verify: Period;
  /** A confirmed error is corrected at the source and re-sent within this period. */
  readonly correct?: Period;
  readonly basis: string;
}

/** Deadlines each city's regulation sets (BRIEF.md, article numbers in `basis`). */
export interface JurisdictionProfile {
  readonly id: string;
  readonly city: string;
  /** Catalog entries must be created or changed within this period of the triggering change. */
  readonly catalogChange: Rule;
  /** Conditional sharing: an application to the provider. */
  readonly application: ApplicationRule;
  readonly correction: CorrectionRule;
  /** Open on application: the provider answers an organisation's application within this period. */
  readonly openApplication: Rule;
}

const working = (days: number): Period => ({ days, kind: 'working' });
const calendarDays = (days: number): Period => ({ days, kind: 'calendar' });

const profiles = {
  hefei: {
    id: 'hefei',
    city: '合肥',
    catalogChange: { days: 10, kind: 'working', basis: '合肥 政务数据资源共享开放管理办法 第11条' },
    application: {
      decidedBy: 'provider',
      answer: calendarDays(10),
      onSilence: 'consent',
      basis: '合肥 政务数据资源共享开放管理办法 第15条 (answered within 10 日, silence = consent)',
    },
    correction: { verify: working(5), basis: '合肥 政务数据资源共享开放管理办法 第11条' },
    openApplication: { ...calendarDays(10), basis: '合肥 政务数据资源共享开放管理办法 第20条 (10 days of acceptance)' },
  },
  fuzhou: {
    id: 'fuzhou',
    city: '抚州',
    catalogChange: { days: 3, kind: 'working', basis: '抚州 政务信息资源共享管理办法 第14条' },
    application: {
      decidedBy: 'provider',
      answer: working(15),
      onSilence: 'escalate',
      basis: '抚州 政务信息资源共享管理办法 第18条 (decision filed with the authority)',
    },
    correction: { verify: working(5), basis: '抚州: no period of its own; the common 5 working days (合肥 11, 泉州 7(2), 中山 23)' },
    openApplication: { ...working(10), basis: '抚州: no period of its own; 无锡 第24条 10 working days' },
  },
  wuxi: {
    id: 'wuxi',
    city: '无锡',
    catalogChange: { days: 15, kind: 'working', basis: '无锡 公共数据管理办法 第14条' },
    application: {
      decidedBy: 'authority-consulting-provider',
      answer: working(10),
      onSilence: 'escalate',
      basis: '无锡 公共数据管理办法 第20条 (reviewed by the authority with the provider; no period of its own, the hub uses 10 working days)',
    },
    correction: { verify: working(5), basis: '无锡: no period of its own; the common 5 working days (合肥 11, 泉州 7(2), 中山 23)' },
    openApplication: { ...working(10), basis: '无锡 公共数据管理办法 第24条 (10 working days)' },
  },
  quanzhou: {
    id: 'quanzhou',
    city: '泉州',
    catalogChange: { days: 10, kind: 'working', basis: '泉州 政务数据管理规定 (no period of its own; the common 10 working days)' },
    application: {
      decidedBy: 'authority-consulting-provider',
      answer: working(10),
      onSilence: 'escalate',
      extension: working(5),
      basis:
        '泉州 政务数据管理规定 3(4) (the data authority decides after consulting the provider) and 2(3) (a new service interface within 10 working days, extendable once by at most 5)',
    },
    correction: { verify: working(5), correct: working(10), basis: '泉州 政务数据管理规定 7(2)' },
    openApplication: { ...working(10), basis: '泉州: no period of its own; 无锡 第24条 10 working days' },
  },
  zhongshan: {
    id: 'zhongshan',
    city: '中山',
    catalogChange: { days: 10, kind: 'working', basis: '中山 政务数据管理办法 第11条 (5 to submit + 5 to approve)' },
    application: {
      decidedBy: 'provider',
      answer: working(5),
      onSilence: 'authority-provides',
      deliver: working(5),
      authorityProvides: working(5),
      basis: '中山 政务数据管理办法 第21条 (5 working days to answer + 5 to deliver; on silence the authority provides it within 5 more)',
    },
    correction: { verify: working(5), basis: '中山 政务数据管理办法 第23条' },
    openApplication: { ...working(10), basis: '中山: no period of its own; 无锡 第24条 10 working days' },
  },
} as const satisfies Record<string, JurisdictionProfile>;

export type JurisdictionId = keyof typeof profiles;
export const jurisdictions: Readonly<Record<JurisdictionId, JurisdictionProfile>> = profiles;
export const jurisdictionIds = Object.keys(jurisdictions) as JurisdictionId[];

/**
 * The last day (YYYY-MM-DD in China) of `period` counted from the China date of `from` (that day
 * itself not counted). A calendar-day period ending on a day off ends on the next working day
 * (民法典 第203条: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日).
 */
export function deadline(period: Period, from: Date, calendar: WorkingCalendar = defaultCalendar()): IsoDate {
  const start = chinaDate(from);
  if (period.kind === 'working') return calendar.addWorkingDays(start, period.days);
  const end = addCalendarDays(start, period.days);
  return calendar.isWorkingDay(end) ? end : calendar.addWorkingDays(end, 1);
}

/** The end of the deadline day in China (23:59:59.999+08:00), for timers. */
export function deadlineInstant(period: Period, from: Date, calendar?: WorkingCalendar): Date {
  return new Date(`${deadline(period, from, calendar)}T23:59:59.999+08:00`);
}

export const deadlineEvents = ['application', 'correction', 'catalog-change', 'open-application'] as const;
export type DeadlineEvent = (typeof deadlineEvents)[number];

export interface DueDate {
  /** What must happen by then. */
  readonly step: 'answer' | 'answer-extended' | 'deliver' | 'authority-provides' | 'verify' | 'correct' | 'change-catalog';
  readonly days: number;
  readonly kind: Period['kind'];
  /** The day the period is counted from (not itself counted): the event's day, or the answer's due date. */
  readonly countedFrom: IsoDate;
  /** The last day (China date) and the instant timers fire at. */
  readonly due: IsoDate;
  readonly dueAt: string;
  readonly basis: string;
}

/** Each due date `event` starts under `profile`, with the same arithmetic the hub's timers use. */
export function dueDates(profile: JurisdictionProfile, event: DeadlineEvent, from: Date, calendar: WorkingCalendar = defaultCalendar()): DueDate[] {
  const at = (step: DueDate['step'], period: Period, start: Date, basis: string): DueDate => ({
    step,
    days: period.days,
    kind: period.kind,
    countedFrom: chinaDate(start),
    due: deadline(period, start, calendar),
    dueAt: deadlineInstant(period, start, calendar).toISOString(),
    basis,
  });
  if (event === 'catalog-change') return [at('change-catalog', profile.catalogChange, from, profile.catalogChange.basis)];
  if (event === 'open-application') return [at('answer', profile.openApplication, from, profile.openApplication.basis)];
  if (event === 'correction') {
    const { verify, correct, basis } = profile.correction;
    return [at('verify', verify, from, basis), ...(correct ? [at('correct', correct, from, basis)] : [])];
  }
  const { answer, extension, deliver, authorityProvides, basis } = profile.application;
  const first = at('answer', answer, from, basis);
  // Later steps run from the answer's due date: the latest an answer (or silence) can come.
  const answered = new Date(`${first.due}T12:00:00+08:00`);
  return [
    first,
    ...(extension ? [at('answer-extended', extension, answered, basis)] : []),
    ...(deliver ? [at('deliver', deliver, answered, basis)] : []),
    ...(authorityProvides ? [at('authority-provides', authorityProvides, answered, basis)] : []),
  ];
}
