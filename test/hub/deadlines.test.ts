import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

interface Answer {
  jurisdiction: string;
  event: string;
  deadlines: { step: string; days: number; kind: string; countedFrom: string; due: string; dueAt: string; basis: string }[];
}

/** GET /api/v1/deadlines: the dates the hub's timers use, for people and other systems. */
describe('deadline API', () => {
  let t: TestApp;
  let consumer: PrincipalCredentials;
  beforeAll(async () => {
    t = await createTestApp({ env: { HUB_JURISDICTION: 'quanzhou' } });
    consumer = await t.principal('consumer');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const get = async (query: string) => t.api(consumer, 'GET', `/deadlines?${query}`);

  it('counts correction deadlines in working days across National Day and its make-up working days', async () => {
    // Reported Friday 2025-09-26: Sunday 09-28 is a make-up working day, 10-01..10-08 are holidays,
    // Saturday 10-11 is a make-up working day (State Council notice for 2025).
    const res = await get('event=correction&from=2025-09-26');
    expect(res.statusCode).toBe(200);
    const body = res.json<Answer>();
    expect(body).toMatchObject({ jurisdiction: 'quanzhou', event: 'correction' });
    expect(body.deadlines.map((d) => [d.step, d.days, d.kind, d.due])).toEqual([
      ['verify', 5, 'working', '2025-10-10'],
      ['correct', 10, 'working', '2025-10-16'],
    ]);
    expect(body.deadlines[0]?.basis).toContain('7(2)');
    expect(body.deadlines[0]?.dueAt).toBe('2025-10-10T15:59:59.999Z');
  });

  it('chains the steps of an application from the answer date, with the extension the regulation allows', async () => {
    const body = (await get('event=application&from=2025-09-26T09:30:00%2B08:00')).json<Answer>();
    const answer = body.deadlines.find((d) => d.step === 'answer');
    expect(answer).toMatchObject({ days: 10, kind: 'working', countedFrom: '2025-09-26', due: '2025-10-16' });
    expect(body.deadlines.find((d) => d.step === 'answer-extended')).toMatchObject({ days: 5, countedFrom: '2025-10-16', due: '2025-10-23' });
  });

  it('ends a calendar-day period that falls on a day off on the next working day (catalog change is in working days)', async () => {
    const body = (await get('event=catalog-change&from=2025-09-30')).json<Answer>();
    expect(body.deadlines).toHaveLength(1);
    // 10 working days from 09-30: 10-09, 10-10, 10-11 (make-up), 10-13 .. 10-17, 10-20, 10-21.
    expect(body.deadlines[0]).toMatchObject({ step: 'change-catalog', due: '2025-10-21' });
  });

  it('defaults to now, and refuses unknown events, bad dates and anonymous callers with a reason', async () => {
    const now = await get('event=correction');
    expect(now.statusCode).toBe(200);
    expect(now.json<Answer>().deadlines[0]?.countedFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const query of ['event=holiday', 'event=correction&from=yesterday', 'event=correction&from=2025-13-45', 'event=correction&from=9999-01-01', '']) {
      const res = await get(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json<{ code: string; message: string }>()).toMatchObject({ code: 'HUB_ERR_VALIDATION', message: expect.stringMatching(/event|from/) });
    }
    const anonymous = await t.app.inject({ url: '/api/v1/deadlines?event=correction' });
    expect(anonymous.statusCode).toBe(401);
  });
});
