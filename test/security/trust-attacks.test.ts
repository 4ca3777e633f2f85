import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { person } from '../helpers/people.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { GrantService } from '../../services/sharing/grant-service.ts';

/** Attacks a review found against the first version of the trust model, kept as regressions. */
describe('trust: second-round attacks', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let mallory: PrincipalCredentials;
  let consumer: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let grants: GrantService;
  const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
  const api = (who: { token: string }, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) => t.api(who, method, url, payload);
  const send = (who: PrincipalCredentials, dataset: string, records: unknown[]) => t.send(who, dataset, records);
  const seenFrom = (provider: string, n: number) => t.cleansedFrom(provider, 'base.natural_person', n);

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    mallory = await t.department('mallory');
    consumer = await t.principal('consumer');
    authority = await t.authority();
    await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name', 'gender', 'birth_date'] });
    await t.enrol(await t.declare(mallory, { dataset: 'base.natural_person' }), {});
    await t.startCleansing();
    grants = await t.startGrants();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("conflict alerts are no oracle of another provider's values or of which keys exist", async () => {
    const target = person(1);
    const key = String(target.id_number);
    await send(psb, 'base.natural_person', [target]);
    await seenFrom(psb.name, 1);
    expect((await api(mallory, 'POST', '/verify', { dataset: 'base.natural_person', key, claims: { name: target.name } })).statusCode).toBe(403);
    const nameAlerts = async (k: string) =>
      ((await api(mallory, 'GET', `/quality/alerts?kind=conflict&key=${k}`)).json() as { fields: string[] }[]).filter((a) => a.fields[0] === 'name').length;
    await send(mallory, 'base.natural_person', [person(1, { name: '猜错了' })]);
    await seenFrom(mallory.name, 1);
    const afterWrong = await nameAlerts(key);
    await send(mallory, 'base.natural_person', [person(1, { name: target.name, marital_status: 'DIVORCED' })]);
    await seenFrom(mallory.name, 2);
    const afterRight = await nameAlerts(key);
    await send(mallory, 'base.natural_person', [person(777, { name: '探测' })]);
    await seenFrom(mallory.name, 3);
    expect(afterWrong).toBe(0);
    expect(afterRight).toBe(afterWrong);
    expect(await nameAlerts(String(person(777).id_number))).toBe(afterWrong);
    // The steward sees the wrong guess.
    const steward = await t.principal('steward');
    expect((await api(steward, 'GET', `/quality/alerts?kind=conflict&key=${key}`)).body).toContain('猜错了');
  });

  it('the owner cannot lower a grade by dropping a field and adding it back', async () => {
    const [file] = (await loadSchemaFiles()).filter((s) => s.dataset === 'base.natural_person');
    const json = JSON.parse(file!.text) as { fields: { name: string; grade: number }[] };
    const phone = json.fields.find((f) => f.name === 'phone')!;
    const without = { ...json, fields: json.fields.filter((f) => f.name !== 'phone') };
    const id = `${psb.name}.base.natural_person`;
    const dropped = await api(psb, 'PUT', `/catalog/${id}`, { schema: without, reason: '删除字段' });
    expect(dropped.statusCode).toBe(422);
    expect(dropped.json().message).toMatch(/drops field phone/);
    const readded = await api(psb, 'PUT', `/catalog/${id}`, { schema: { ...json, fields: [...without.fields, { ...phone, grade: 1 }] }, reason: '恢复字段' });
    expect(readded.statusCode).toBe(422);
    const contract = (await api(consumer, 'GET', '/contracts/base.natural_person')).json() as { fields: { name: string; grade: number }[] };
    expect(contract.fields.find((f) => f.name === 'phone')!.grade).toBe(phone.grade);
    const app = await api(consumer, 'POST', '/applications', {
      purpose: '测试',
      datasets: [{ dataset: 'base.natural_person', fields: ['gender', 'phone'] }],
      validUntil: inAYear(),
    });
    expect((await grants.get(app.json().grantId))!.datasets[0]!.masked).toHaveProperty('phone');
  });

  it('the loser of a declaration race has no Kafka rights, neither then nor while pending', async () => {
    const a = await t.department('ra');
    const b = await t.department('rb');
    const [ra, rb] = await Promise.all([a, b].map((d) => api(d, 'POST', '/catalog', { dataset: 'base.land_parcel' })));
    expect([ra!.statusCode, rb!.statusCode].sort()).toEqual([201, 409]);
    const winner = ra!.statusCode === 201 ? a : b;
    const loser = winner === a ? b : a;
    const acls = async (who: PrincipalCredentials) => (await t.app.kafka.admin.aclsOf(who.name)).filter((x) => x.name === `raw.${who.name}.base.land_parcel`);
    expect(await acls(loser)).toHaveLength(0);
    expect((await acls(winner)).map((x) => x.operation).sort()).toEqual(['describe', 'write']);
    const again = await api(loser, 'POST', '/catalog', { dataset: 'base.land_parcel' });
    expect((again.json() as CatalogEntry).status).toBe('pending');
    expect(await acls(loser)).toHaveLength(0);
  });

  it("a co-provider without authority cannot make another's fields unshareable", async () => {
    const dataset = 'theme.social_insurance_enrolment';
    await t.declare(psb, { dataset });
    const fields = (await t.app.catalog.contractOf(dataset)).fields.map((f) => f.name).slice(0, 2);
    await t.enrol(await t.declare(mallory, { dataset }), {});
    expect((await api(consumer, 'POST', '/applications', { purpose: '测试', datasets: [{ dataset, fields }], validUntil: inAYear() })).json().status).toBe(
      'granted',
    );
    expect(
      (await api(mallory, 'PUT', `/catalog/${mallory.name}.${dataset}`, { shareType: 'not_shared', legalBasis: '随便写的', reason: '不想共享' })).statusCode,
    ).toBe(200);
    const after = await api(consumer, 'POST', '/applications', { purpose: '测试', datasets: [{ dataset, fields }], validUntil: inAYear() });
    expect(after.json().status).toBe('granted');
  });

  it('NUL bytes in the new routes are 400, not 500', async () => {
    const statuses = {
      contract: (await api(consumer, 'GET', '/contracts/%00')).statusCode,
      authorities: (await api(authority, 'PUT', '/contracts/%00/authorities', { authorities: {}, reason: 'x' })).statusCode,
      enrol: (await api(authority, 'POST', '/catalog/%00/enrolment', { decision: 'approve' })).statusCode,
      opinion: (await api(mallory, 'POST', '/applications/%00/opinion', { opinion: 'agree', note: 'x' })).statusCode,
      apply: (
        await api(consumer, 'POST', '/applications', {
          purpose: 'x',
          use: 'verification',
          datasets: [{ dataset: 'base.\u0000', fields: ['a'] }],
          validUntil: inAYear(),
        })
      ).statusCode,
      getApp: (await api(mallory, 'GET', '/applications/%00')).statusCode,
      alertsKey: (await api(mallory, 'GET', '/quality/alerts?key=%00')).statusCode,
      catalogId: (await api(mallory, 'GET', '/catalog/%00')).statusCode,
    };
    expect(Object.entries(statuses).filter(([, s]) => s >= 500)).toEqual([]);
    expect(Object.values(statuses).every((s) => s >= 400)).toBe(true);
  });
});
