import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { OpenApplication } from '../../services/opendata/application-store.ts';
import { orgCodeCheckChar, usccCheckChar } from '../../services/cleansing/rules/uscc.ts';
import { dueDates, jurisdictions } from '../../services/platform/calendar/jurisdictions.ts';

const dataset = 'base.natural_person';
const uscc = (n: number) => {
  const organisation = `M${String(n).padStart(7, '0')}`;
  const first17 = `91350100${organisation}${orgCodeCheckChar(organisation)}`;
  return first17 + usccCheckChar(first17);
};

describe('open on application: organisations apply, owners answer in time, keys download', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let tax: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let university: PrincipalCredentials;
  let other: PrincipalCredentials;
  let application: OpenApplication;
  let key: string;
  const pub = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: `/open${url}`, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const register = (n: number, kind = 'university') =>
    pub('POST', '/organisations', { name: `测试大学${n}`, uscc: uscc(n), kind, contact: `lab${n}@example.edu.cn` }, {});

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    tax = await t.department('tax');
    authority = await t.authority();
    await t.declare(psb, { dataset, openType: 'on_application' });
    await t.startCleansing();
    await t.send(psb, dataset, [person(1), person(2)]);
    await t.cleansedFrom(psb.name, dataset, 2);
    await t.api(psb, 'PUT', `/open/datasets/${dataset}`, { openType: 'on_application', licence: '数据利用协议' });
    await t.api(authority, 'POST', `/open/datasets/${dataset}/review`, { approve: true, reason: '依申请开放' });
    await t.app.openData.publishDue();
  });
  afterAll(async () => t.cleanup());

  it('lists the dataset on the portal but refuses its download without a key', async () => {
    expect((await pub('GET', `/datasets/${dataset}`)).json()).toMatchObject({ openType: 'on_application' });
    const refused = await pub('GET', `/datasets/${dataset}/download.csv`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'HUB_ERR_FORBIDDEN' });
    expect((await pub('GET', `/datasets/${dataset}/download.csv?key=odk_made_up`)).statusCode).toBe(403);
  });

  it('registers organisations with a valid unified social credit code, once each', async () => {
    const bad = await pub('POST', '/organisations', { name: '假机构', uscc: '91350100M000000001', kind: 'enterprise', contact: 'x@example.com' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'HUB_ERR_VALIDATION' });
    const ok = await register(1);
    expect(ok.statusCode).toBe(201);
    university = (ok.json() as { credentials: PrincipalCredentials }).credentials;
    expect(university.role).toBe('applicant');
    expect((await register(1)).statusCode).toBe(409);
    other = ((await register(2, 'enterprise')).json() as { credentials: PrincipalCredentials }).credentials;
    // An applicant reaches nothing else of the hub.
    expect((await t.api(university, 'GET', '/catalog')).statusCode).toBe(403);
  });

  it("takes an application for research use with the jurisdiction's due date, and refuses commercial use", async () => {
    const commercial = await t.api(university, 'POST', '/open/applications', { dataset, purpose: '商业分析', commercial: true });
    expect(commercial.statusCode).toBe(422);
    const applied = await t.api(university, 'POST', '/open/applications', { dataset, purpose: '人口结构学术研究' });
    expect(applied.statusCode).toBe(201);
    application = applied.json() as OpenApplication;
    const [due] = dueDates(jurisdictions[t.config.jurisdiction], 'open-application', new Date(application.createdAt));
    expect(application).toMatchObject({ status: 'pending', owner: psb.name, dueAt: due!.dueAt });
    expect((await t.api(psb, 'GET', '/open/applications')).json()).toEqual([expect.objectContaining({ id: application.id })]);
    expect((await t.api(tax, 'GET', '/open/applications')).json()).toEqual([]);
    expect((await t.api(other, 'GET', '/open/applications')).json()).toEqual([]);
  });

  it('lets only the owner decide, with a use agreement, once', async () => {
    expect((await t.api(tax, 'POST', `/open/applications/${application.id}/decision`, { approve: true, reason: '越权', agreement: 'x' })).statusCode).toBe(404);
    expect((await t.api(psb, 'POST', `/open/applications/${application.id}/decision`, { approve: true, reason: '同意' })).statusCode).toBe(400);
    expect((await t.api(university, 'POST', `/open/applications/${application.id}/key`)).statusCode).toBe(409);
    const approved = await t.api(psb, 'POST', `/open/applications/${application.id}/decision`, {
      approve: true,
      reason: '用途符合规定',
      agreement: '仅用于学术研究，不得再次分发，不得商用。',
      validDays: 7,
    });
    expect(approved.json()).toMatchObject({ status: 'approved', agreement: '仅用于学术研究，不得再次分发，不得商用。', decidedBy: psb.name });
    expect((await t.api(psb, 'POST', `/open/applications/${application.id}/decision`, { approve: false, reason: '反悔' })).statusCode).toBe(409);
  });

  it('issues a personal key that downloads the desensitized data; a new key replaces the old; nobody else gets one', async () => {
    expect((await t.api(other, 'POST', `/open/applications/${application.id}/key`)).statusCode).toBe(404);
    const first = (await t.api(university, 'POST', `/open/applications/${application.id}/key`)).json() as { key: string };
    const second = (await t.api(university, 'POST', `/open/applications/${application.id}/key`)).json() as { key: string; validUntil: string };
    key = second.key;
    expect((await pub('GET', `/datasets/${dataset}/download.csv`, undefined, { 'x-download-key': first.key })).statusCode).toBe(403);
    const csv = await pub('GET', `/datasets/${dataset}/download.csv`, undefined, { 'x-download-key': key });
    expect(csv.statusCode).toBe(200);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0]!)).not.toContain('id_number');
    expect(rows[0]?.name).toMatch(/^.\*+$/);
    expect((await pub('GET', `/datasets/${dataset}/download.ndjson?key=${encodeURIComponent(key)}`)).statusCode).toBe(200);
    const { records } = (await t.api(await t.principal('auditor'), 'GET', '/audit?action=open.*&limit=50')).json() as {
      records: { action: string; actor: string }[];
    };
    const actions = records.map((r) => r.action);
    for (const a of ['open.applied', 'open.application_approved', 'open.key_issued', 'open.downloaded']) expect(actions).toContain(a);
    expect(records.find((r) => r.action === 'open.downloaded')?.actor).toBe(university.name);
  });

  it('refuses the key once its application has expired', async () => {
    await t.db.pool.query("UPDATE open_applications SET valid_until = now() - interval '1 second' WHERE id = $1", [application.id]);
    expect((await pub('GET', `/datasets/${dataset}/download.csv`, undefined, { 'x-download-key': key })).statusCode).toBe(403);
  });

  it('escalates an application unanswered past its deadline to the authority, once', async () => {
    const late = (await (await t.api(other, 'POST', '/open/applications', { dataset, purpose: '企业研发研究' })).json()) as OpenApplication;
    await t.db.pool.query("UPDATE open_applications SET due_at = now() - interval '1 minute' WHERE id = $1", [late.id]);
    expect(await t.app.openApplications.escalateDue()).toBe(1);
    expect(await t.app.openApplications.escalateDue()).toBe(0);
    const escalated = (await t.api(authority, 'GET', '/open/applications?escalated=true')).json() as OpenApplication[];
    expect(escalated.map((a) => a.id)).toEqual([late.id]);
  });
});
