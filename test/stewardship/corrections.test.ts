import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { person } from '../helpers/people.ts';
import type { Principal, PrincipalCredentials } from '../../services/principals/types.ts';
import type { CorrectionView } from '../../services/stewardship/corrections.ts';

const dataset = 'base.natural_person';
const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
/** Wednesday 30 September 2026: National Day runs 1-7 October; Saturday 10 October is a make-up working day. */
const beforeNationalDay = new Date('2026-09-30T10:00:00+08:00');

describe('correction requests: deadlines on the working-day calendar, escalation, who sees what', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let other: PrincipalCredentials;
  let consumer: PrincipalCredentials;
  let stranger: PrincipalCredentials;
  let steward: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let auditor: PrincipalCredentials;
  const as = (c: PrincipalCredentials): Principal => ({ name: c.name, role: c.role, kafkaUser: c.kafka.username });

  beforeAll(async () => {
    // Quanzhou 7(2) sets both periods: verify within 5 working days, correct within 10.
    t = await createTestApp({ listen: true, env: { HUB_JURISDICTION: 'quanzhou' } });
    psb = await t.department('psb');
    other = await t.department('other');
    consumer = await t.principal('consumer');
    stranger = await t.principal('consumer');
    steward = await t.principal('steward');
    authority = await t.authority();
    auditor = await t.principal('auditor');
    await t.declare(psb, { dataset, authoritativeFields: ['name', 'gender', 'birth_date'] });
    await t.declare(other, { dataset: 'base.legal_entity' });
    await t.startGrants();
    const applied = await t.api(consumer, 'POST', '/applications', {
      purpose: '核对',
      datasets: [{ dataset, fields: ['name', 'gender'] }],
      validUntil: inAYear(),
    });
    expect(applied.json().status, applied.body).toBe('granted');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const report = (who: PrincipalCredentials, fields: string[], key = String(person(301).id_number)) =>
    t.api(who, 'POST', '/corrections', { dataset, key, fields, description: '姓名登记错误' });

  it('counts the verify and correct periods over National Day, with the make-up Saturday as a working day', async () => {
    const c = await t.app.corrections.report({ dataset, key: String(person(302).id_number), fields: ['name'], description: '错字' }, as(steward), {
      at: beforeNationalDay,
    });
    // 8, 9, 10 (make-up Saturday), 12, 13 October: five working days.
    expect(c).toMatchObject({ verifyDue: '2026-10-13', verifyDueAt: '2026-10-13T15:59:59.999Z', correctDue: '2026-10-20', provider: psb.name });
    expect(c.basis).toMatch(/泉州/);
    // The deadline API answers the same dates the request carries.
    const d = await t.api(steward, 'GET', '/deadlines?event=correction&from=2026-09-30');
    expect(d.json<{ deadlines: { step: string; due: string }[] }>().deadlines.map((x) => [x.step, x.due])).toEqual([
      ['verify', '2026-10-13'],
      ['correct', '2026-10-20'],
    ]);
    expect(t.app.corrections.view(c, new Date('2026-10-09T09:00:00+08:00')).daysLeft).toBe(3);
    expect(t.app.corrections.view(c, new Date('2026-10-14T09:00:00+08:00'))).toMatchObject({ daysLeft: -1, overdue: true });
  });

  it('escalates once when the verify deadline passes, then when a confirmed error is not corrected in time', async () => {
    const late = await t.app.corrections.report({ dataset, key: String(person(303).id_number), fields: ['name'], description: '无人处理' }, as(steward), {
      at: beforeNationalDay,
    });
    const answered = await t.app.corrections.report({ dataset, key: String(person(304).id_number), fields: ['gender'], description: '性别错误' }, as(steward), {
      at: beforeNationalDay,
    });
    expect((await t.api(psb, 'POST', `/corrections/${answered.id}/verification`, { decision: 'confirmed', note: '确有错误' })).statusCode).toBe(200);

    // The last minute of the verify period: nothing escalates.
    let swept = await t.app.corrections.sweep(new Date('2026-10-13T23:59:00+08:00'));
    expect(swept.escalated).not.toContain(late.id);
    swept = await t.app.corrections.sweep(new Date('2026-10-14T00:01:00+08:00'));
    expect(swept.escalated).toContain(late.id);
    expect(swept.escalated).not.toContain(answered.id);
    expect((await t.app.corrections.sweep(new Date('2026-10-15T00:00:00+08:00'))).escalated).not.toContain(late.id);

    swept = await t.app.corrections.sweep(new Date('2026-10-21T00:01:00+08:00'));
    expect(swept.escalated).toContain(answered.id);
    const escalated = (await t.api(authority, 'GET', '/corrections?escalated=true')).json<CorrectionView[]>();
    expect(escalated.map((c) => [c.id, c.escalationReason])).toEqual(
      expect.arrayContaining([
        [late.id, 'verify-overdue'],
        [answered.id, 'correct-overdue'],
      ]),
    );
    const audited = await t.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'correction.escalated' AND detail ->> 'correction' = ANY($1)`,
      [[late.id, answered.id]],
    );
    expect(audited.rows[0]!.n).toBe(2);
  });

  it('a consumer reports only about fields its grant delivers; the request goes to the authoritative provider', async () => {
    const ok = await report(consumer, ['name']);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json<CorrectionView>()).toMatchObject({ provider: psb.name, reportedBy: consumer.name, status: 'open' });
    expect((await report(consumer, ['phone'])).statusCode).toBe(403);
    expect((await report(stranger, ['name'])).statusCode).toBe(403);
    // What the console shows a consumer to start consuming: its own grants only.
    const grants = (await t.api(consumer, 'GET', '/grants')).json<
      { consumer: string; groupPrefix: string; datasets: { dataset: string; topic: string }[] }[]
    >();
    expect(grants.map((g) => [g.consumer, g.datasets.map((d) => d.dataset)])).toEqual([[consumer.name, [dataset]]]);
    expect(grants[0]!.groupPrefix).toMatch(/^share\./);
    expect((await t.api(stranger, 'GET', '/grants')).json()).toEqual([]);
    expect((await report(consumer, ['no_such_field'])).statusCode).toBe(400);
    expect((await t.api(consumer, 'POST', '/corrections', { dataset: 'base.no_such', key: 'k', fields: ['x'], description: 'x' })).statusCode).toBe(404);
  });

  it('keeps each request to the principals it concerns', async () => {
    const mine = (await report(consumer, ['gender'])).json<CorrectionView>();
    const ids = async (who: PrincipalCredentials) => (await t.api(who, 'GET', '/corrections')).json<CorrectionView[]>().map((c) => c.id);
    expect(await ids(consumer)).toContain(mine.id);
    expect(await ids(stranger)).not.toContain(mine.id);
    expect(await ids(other)).not.toContain(mine.id);
    expect(await ids(psb)).toContain(mine.id);
    for (const who of [steward, authority, auditor]) expect(await ids(who)).toContain(mine.id);
    for (const who of [stranger, other]) expect((await t.api(who, 'GET', `/corrections/${mine.id}`)).statusCode).toBe(404);
    // Only the provider verifies: not the reporter, not a steward, not another department.
    expect((await t.api(consumer, 'POST', `/corrections/${mine.id}/verification`, { decision: 'rejected', note: 'x' })).statusCode).toBe(403);
    expect((await t.api(steward, 'POST', `/corrections/${mine.id}/verification`, { decision: 'rejected', note: 'x' })).statusCode).toBe(403);
    expect((await t.api(other, 'POST', `/corrections/${mine.id}/verification`, { decision: 'rejected', note: 'x' })).statusCode).toBe(404);
    // Departments and auditors do not report; a verification needs its note.
    expect((await report(psb, ['name'])).statusCode).toBe(403);
    expect((await report(auditor, ['name'])).statusCode).toBe(403);
    expect((await t.api(psb, 'POST', `/corrections/${mine.id}/verification`, { decision: 'rejected' })).statusCode).toBe(400);
    const rejected = await t.api(psb, 'POST', `/corrections/${mine.id}/verification`, { decision: 'rejected', note: '核实无误' });
    expect(rejected.json<CorrectionView>()).toMatchObject({ status: 'rejected', verifiedBy: psb.name, daysLeft: null });
  });

  it('scorecards count each department for a month, for a year, and as CSV; a department sees only its own', async () => {
    const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    const res = await t.api(authority, 'GET', `/scorecards?period=${month}`);
    expect(res.statusCode, res.body).toBe(200);
    type Rows = { rows: { department: string; usedBy: number; corrections: Record<string, number> }[] };
    const row = res.json<Rows>().rows.find((r) => r.department === psb.name);
    // This month: the consumer's two reports, one verified (rejected) in time.
    expect(row?.corrections).toMatchObject({ received: 2, verified: 1, verifiedOnTime: 1, corrected: 0 });
    // Its data was used by the one consumer holding a grant; the steward's and authority's oversight is not use.
    expect(row).toMatchObject({ usedBy: 1 });
    // September 2026: the three reported before National Day, one verified, all three escalated (two unanswered, one not corrected).
    const september = (await t.api(authority, 'GET', '/scorecards?period=2026-09')).json<Rows>().rows.find((r) => r.department === psb.name);
    expect(september?.corrections).toMatchObject({ received: 3, verified: 1, overdue: 3 });
    const own = (await t.api(psb, 'GET', `/scorecards?period=${month}`)).json<{ rows: { department: string }[] }>().rows;
    expect(own.map((r) => r.department)).toEqual([psb.name]);
    const csv = await t.api(authority, 'GET', `/scorecards?period=${month}&format=csv`);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\r\n')[0]).toMatch(/^\uFEFF部门 department,/);
    expect(csv.body).toContain(psb.name);
    const year = await t.api(authority, 'GET', `/scorecards?period=${month.slice(0, 4)}`);
    expect(year.json<{ from: string; firstDay: string; lastDay: string }>()).toMatchObject({
      from: `${Number(month.slice(0, 4)) - 1}-12-31T16:00:00.000Z`,
      firstDay: `${month.slice(0, 4)}-01-01`,
      lastDay: `${month.slice(0, 4)}-12-31`,
    });
    expect((await t.api(consumer, 'GET', `/scorecards?period=${month}`)).statusCode).toBe(403);
    expect((await t.api(authority, 'GET', '/scorecards?period=2026-13')).statusCode).toBe(400);
  });
});
