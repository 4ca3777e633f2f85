import { describe, expect, it } from 'vitest';
import { deadline, deadlineInstant, jurisdictionIds, jurisdictions, type JurisdictionProfile } from '../../../services/platform/calendar/jurisdictions.ts';
import { createWorkingCalendar, type CalendarLog } from '../../../services/platform/calendar/working-days.ts';

// 10:00 on Friday 2024-09-27 in China, just before the National Day holiday.
const applied = new Date('2024-09-27T10:00:00+08:00');

describe('jurisdiction profiles: conditional-sharing applications', () => {
  it('answer deadlines across National Day 2024 (calendar days in Hefei, working days elsewhere)', () => {
    const answer = (id: keyof typeof jurisdictions) => deadline(jurisdictions[id].application.answer, applied);
    // 10 日 ends on 10-07, a holiday, so the period ends on the next working day (民法典 203).
    expect(answer('hefei')).toBe('2024-10-08');
    // 09-29 (Sun, make-up), 09-30, 10-08, 10-09, 10-10.
    expect(answer('zhongshan')).toBe('2024-10-10');
    // ... 10-11, 10-12 (Sat, make-up), 10-14, 10-15, 10-16.
    expect(answer('wuxi')).toBe('2024-10-16');
    expect(answer('quanzhou')).toBe('2024-10-16');
    expect(answer('fuzhou')).toBe('2024-10-23');
  });

  it('a calendar-day period ending on a working day ends on that day', () => {
    expect(deadline(jurisdictions.hefei.application.answer, new Date('2024-11-01T09:00:00+08:00'))).toBe('2024-11-11');
  });

  it('what silence means, per city', () => {
    expect(jurisdictions.hefei.application).toMatchObject({ answer: { days: 10, kind: 'calendar' }, onSilence: 'consent' });
    expect(jurisdictions.zhongshan.application).toMatchObject({
      answer: { days: 5, kind: 'working' },
      onSilence: 'authority-provides',
      deliver: { days: 5, kind: 'working' },
      authorityProvides: { days: 5, kind: 'working' },
    });
    expect(jurisdictions.fuzhou.application).toMatchObject({ answer: { days: 15, kind: 'working' }, onSilence: 'escalate' });
    expect(jurisdictions.wuxi.application).toMatchObject({ answer: { days: 10, kind: 'working' }, onSilence: 'escalate' });
    expect(jurisdictions.wuxi.application.basis).toContain('10 working days');
    expect(jurisdictions.quanzhou.application).toMatchObject({
      answer: { days: 10, kind: 'working' },
      onSilence: 'escalate',
      extension: { days: 5, kind: 'working' },
    });
  });

  it('Zhongshan: delivery and the authority stepping in count on from the answer deadline', () => {
    const { answer, deliver, authorityProvides } = jurisdictions.zhongshan.application;
    const answerBy = deadlineInstant(answer, applied);
    // 10-11, 10-12 (Sat, make-up), 10-14, 10-15, 10-16.
    expect(deadline(deliver!, answerBy)).toBe('2024-10-16');
    expect(deadline(authorityProvides!, answerBy)).toBe('2024-10-16');
  });
});

describe('jurisdiction profiles: every city', () => {
  it.each(jurisdictionIds)('%s has complete rules with a basis', (id) => {
    const profile: JurisdictionProfile = jurisdictions[id];
    expect(profile.id).toBe(id);
    for (const rule of [profile.catalogChange, profile.application, profile.correction]) expect(rule.basis.length).toBeGreaterThan(0);
    expect(profile.correction.verify).toEqual({ days: 5, kind: 'working' });
    if (profile.application.onSilence === 'authority-provides') expect(profile.application.authorityProvides).toBeDefined();
  });

  it('Quanzhou corrects at the source within 10 working days', () => {
    expect(jurisdictions.quanzhou.correction.correct).toEqual({ days: 10, kind: 'working' });
    expect(deadline(jurisdictions.quanzhou.correction.verify, new Date('2025-01-24T09:00:00+08:00'))).toBe('2025-02-07');
  });
});

describe('deadline and deadlineInstant', () => {
  it('count from the date in China, not in UTC', () => {
    // 2024-09-26T20:00Z is already Friday 09-27 04:00 in China.
    expect(deadline({ days: 5, kind: 'working' }, new Date('2024-09-26T20:00:00Z'))).toBe('2024-10-10');
    expect(deadline({ days: 1, kind: 'working' }, new Date('2024-09-26T15:59:59Z'))).toBe('2024-09-27');
  });

  it('deadlineInstant is the end of the deadline day in China', () => {
    const at = deadlineInstant(jurisdictions.zhongshan.application.answer, applied);
    expect(at.toISOString()).toBe('2024-10-10T15:59:59.999Z');
  });

  it('a passed calendar is used instead of the shipped one', () => {
    const warnings: string[] = [];
    const log = { warn: ((_obj: object, msg: string) => void warnings.push(msg)) as CalendarLog['warn'] };
    const weekendsOnly = createWorkingCalendar({ data: { 1999: { holidays: [], workdays: [] } }, log });
    expect(deadline({ days: 5, kind: 'working' }, applied, weekendsOnly)).toBe('2024-10-04');
    expect(warnings).toHaveLength(1);
  });
});
