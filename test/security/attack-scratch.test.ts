import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import { loadSchemaFiles } from '../../services/platform/schema-files.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { GrantService } from '../../services/sharing/grant-service.ts';

describe('attack scratch', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let mallory: PrincipalCredentials;
  let consumer: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let grants: GrantService;
  const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
  const api = (who: { token: string }, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: t.auth(who), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const send = async (who: PrincipalCredentials, dataset: string, records: unknown[]) => {
    const res = await api(who, 'POST', `/datasets/${dataset}/records`, { records });
    expect(res.statusCode, res.body).toBe(200);
  };
  const seenFrom = (provider: string, n: number) =>
    waitFor(() => t.db.pool.query<{ n: string }>('SELECT records_in AS n FROM cleansing_counts WHERE provider = $1 AND dataset = $2', [provider, 'base.natural_person']).then((r) => Number(r.rows[0]?.n ?? 0)), (x) => x >= n);

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    mallory = await t.department('mallory');
    consumer = await t.principal('consumer');
    authority = await t.authority();
    await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name', 'gender', 'birth_date'] });
    const m = await t.declare(mallory, { dataset: 'base.natural_person' });
    await t.enrol(m, {});
    await t.startCleansing();
    grants = await t.startGrants();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('A: an enrolled co-provider verifies psb\'s values (and key existence) without a grant, through its own conflict alerts', async () => {
    const target = person(1);
    const key = String(target.id_number);
    await send(psb, 'base.natural_person', [target]);
    await seenFrom(psb.name, 1);
    // The front door is shut: no verification grant.
    expect((await api(mallory, 'POST', '/verify', { dataset: 'base.natural_person', key, claims: { name: target.name } })).statusCode).toBe(403);

    const nameAlerts = async (k: string) =>
      ((await api(mallory, 'GET', `/quality/alerts?kind=conflict&key=${k}`)).json() as { fields: string[] }[]).filter((a) => a.fields[0] === 'name').length;

    // Wrong guess of psb's (authoritative) name: a conflict alert appears in mallory's own view.
    await send(mallory, 'base.natural_person', [person(1, { name: '猜错了' })]);
    await seenFrom(mallory.name, 1);
    expect(await nameAlerts(key)).toBe(1);
    // Right guess: no new alert. The oracle answers match/mismatch with no grant, no limits, no audit of a verification.
    await send(mallory, 'base.natural_person', [person(1, { name: target.name, marital_status: 'DIVORCED' })]);
    await seenFrom(mallory.name, 2);
    expect(await nameAlerts(key)).toBe(1);
    // Another wrong guess: another alert, so the silence above was a match.
    await send(mallory, 'base.natural_person', [person(1, { name: '又猜错了' })]);
    await seenFrom(mallory.name, 3);
    expect(await nameAlerts(key)).toBe(2);

    // Existence oracle too: a deliberately wrong name on a key psb never sent raises nothing.
    const absent = String(person(777).id_number);
    await send(mallory, 'base.natural_person', [person(777, { name: '探测' })]);
    await seenFrom(mallory.name, 4);
    expect(await nameAlerts(absent)).toBe(0);
  });

  it('B: the contract owner lowers a grade by dropping a field and adding it back (grade 3 -> 1): masking is off', async () => {
    const [file] = (await loadSchemaFiles()).filter((s) => s.dataset === 'base.natural_person');
    const json = JSON.parse(file!.text) as { fields: { name: string; grade: number }[] };
    const phone = json.fields.find((f) => f.name === 'phone')!;
    const without = { ...json, fields: json.fields.filter((f) => f.name !== 'phone') };
    const entryId = `${psb.name}.base.natural_person`;
    const direct = await api(psb, 'PUT', `/catalog/${entryId}`, { schema: { ...json, fields: json.fields.map((f) => (f.name === 'phone' ? { ...f, grade: 1 } : f)) }, reason: '降级' });
    expect(direct.statusCode).toBe(422); // the direct way is refused
    const dropped = await api(psb, 'PUT', `/catalog/${entryId}`, { schema: without, reason: '删除字段' });
    expect(dropped.statusCode, dropped.body).toBe(200);
    const readded = await api(psb, 'PUT', `/catalog/${entryId}`, { schema: { ...json, fields: [...without.fields, { ...phone, grade: 1 }] }, reason: '恢复字段' });
    expect(readded.statusCode, readded.body).toBe(200);
    const contract = (await api(consumer, 'GET', '/contracts/base.natural_person')).json() as { fields: { name: string; grade: number }[] };
    expect(contract.fields.find((f) => f.name === 'phone')!.grade).toBe(1);
    // A subscription now receives phone (incl. mallory's provisional values and the old landed column) unmasked.
    const app = await api(consumer, 'POST', '/applications', { purpose: '测试', datasets: [{ dataset: 'base.natural_person', fields: ['gender', 'phone'] }], validUntil: inAYear() });
    expect(app.json().status).toBe('granted');
    const grant = await grants.get(app.json().grantId);
    expect(grant!.datasets[0]!.masked).not.toHaveProperty('phone');
  });

  it('C: the loser of a race to declare a new dataset keeps WRITE on its raw topic, and keeps it while pending', async () => {
    const a = await t.department('ra');
    const b = await t.department('rb');
    const [ra, rb] = await Promise.all([a, b].map((d) => api(d, 'POST', '/catalog', { dataset: 'base.land_parcel' })));
    const codes = [ra!.statusCode, rb!.statusCode].sort();
    expect(codes).toEqual([201, 409]);
    const loser = ra!.statusCode === 409 ? a : b;
    const topic = `raw.${loser.name}.base.land_parcel`;
    const acls = async () => (await t.app.kafka.admin.aclsOf(loser.name)).filter((x) => x.name === topic).map((x) => x.operation).sort();
    expect(await acls()).toEqual(['describe', 'write']);
    const again = await api(loser, 'POST', '/catalog', { dataset: 'base.land_parcel' });
    expect(again.statusCode, again.body).toBe(201);
    expect((again.json() as CatalogEntry).status).toBe('pending');
    // Pending, yet it can produce straight to Kafka; cleansing reads the topic from offset 0 once enrolled.
    expect(await acls()).toEqual(['describe', 'write']);
  });

  it('E: hostile input to the new routes', async () => {
    const r: Record<string, number> = {};
    r.contract = (await api(consumer, 'GET', '/contracts/%00')).statusCode;
    r.authorities = (await api(authority, 'PUT', '/contracts/%00/authorities', { authorities: {}, reason: 'x' })).statusCode;
    r.enrol = (await api(authority, 'POST', '/catalog/%00/enrolment', { decision: 'approve' })).statusCode;
    r.opinion = (await api(mallory, 'POST', '/applications/%00/opinion', { opinion: 'agree', note: 'x' })).statusCode;
    r.apply = (await api(consumer, 'POST', '/applications', { purpose: 'x', use: 'verification', datasets: [{ dataset: 'base.\u0000', fields: ['a'] }], validUntil: inAYear() })).statusCode;
    r.applyField = (await api(consumer, 'POST', '/applications', { purpose: 'x', use: 'verification', datasets: [{ dataset: 'base.natural_person', fields: ['\u0000'] }], validUntil: inAYear() })).statusCode;
    r.authNul = (await api(authority, 'PUT', '/contracts/base.natural_person/authorities', { authorities: { name: '\u0000' }, reason: 'x' })).statusCode;
    r.authProto = (await api(authority, 'PUT', '/contracts/base.natural_person/authorities', { authorities: { constructor: psb.name }, reason: 'x' })).statusCode;
    r.getApp = (await api(mallory, 'GET', '/applications/%00')).statusCode;
    r.alertsKey = (await api(mallory, 'GET', '/quality/alerts?key=%00')).statusCode;
    r.catalogId = (await api(mallory, 'GET', '/catalog/%00')).statusCode;
    console.log('E statuses', r);
    expect(Object.entries(r).filter(([, s]) => s >= 500)).toEqual([]);
  });

  it('refused: mallory on the side paths', async () => {
    const r: Record<string, number> = {};
    r.enrolments = (await api(mallory, 'GET', '/catalog/enrolments')).statusCode;
    r.auditPsb = (await api(mallory, 'GET', `/audit/usage?provider=${psb.name}`)).statusCode;
    r.setAuth = (await api(mallory, 'PUT', '/contracts/base.natural_person/authorities', { authorities: { name: mallory.name }, reason: 'x' })).statusCode;
    r.putPsb = (await api(mallory, 'PUT', `/catalog/${psb.name}.base.natural_person`, { shareType: 'not_shared', legalBasis: 'x', reason: 'x' })).statusCode;
    r.claimAuth = (await api(mallory, 'PUT', `/catalog/${mallory.name}.base.natural_person`, { authoritativeFields: ['phone'], reason: 'x' })).statusCode;
    r.stats = (await api(mallory, 'GET', '/cleansing/stats')).statusCode;
    r.vAlerts = (await api(mallory, 'GET', '/verify/alerts')).statusCode;
    console.log('refused statuses', r);
  });

  it('D: a co-provider with no authoritative field makes psb\'s fields unshareable (decides for another\'s data)', async () => {
    const dataset = 'theme.social_insurance_enrolment';
    await t.declare(psb, { dataset });
    const fields = (await t.app.catalog.contractOf(dataset)).fields.map((f) => f.name).slice(0, 2);
    const m = await t.declare(mallory, { dataset });
    await t.enrol(m, {});
    const before = await api(consumer, 'POST', '/applications', { purpose: '测试', datasets: [{ dataset, fields }], validUntil: inAYear() });
    expect(before.json().status, before.body).toBe('granted');
    const put = await api(mallory, 'PUT', `/catalog/${mallory.name}.${dataset}`, { shareType: 'not_shared', legalBasis: '随便写的', reason: '不想共享' });
    expect(put.statusCode, put.body).toBe(200);
    const after = await api(consumer, 'POST', '/applications', { purpose: '测试', datasets: [{ dataset, fields }], validUntil: inAYear() });
    expect(after.statusCode).toBe(422);
    expect(after.json().message).toMatch(/not shared/);
  });
});
