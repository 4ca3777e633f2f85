import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import { samplesV1 } from '../schemas/samples.ts';
import type { CleansingWorker } from '../../services/cleansing/worker.ts';
import type { GrantService } from '../../services/sharing/grant-service.ts';
import { createApplicationStore, type Application } from '../../services/sharing/application-store.ts';
import { createSharingService, type SharingService } from '../../services/sharing/applications.ts';
import { createVerificationGrantStore } from '../../services/sharing/verification-grants.ts';
import { jurisdictions } from '../../services/platform/calendar/jurisdictions.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';
import type { QualityAlert } from '../../services/cleansing/alerts.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';

/**
 * Every department is a possible adversary of every other: each attack a hostile department (mallory)
 * tried against the public security bureau (psb) and the tax bureau (tax) is replayed here and fails.
 */
describe('trust between departments', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let tax: PrincipalCredentials;
  let mallory: PrincipalCredentials;
  let consumer: PrincipalCredentials;
  let steward: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let worker: CleansingWorker;
  let grants: GrantService;
  let malloryPerson: CatalogEntry;
  const sharing = new Map<string, SharingService>();
  const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
  const asPrincipal = (c: PrincipalCredentials) => ({ name: c.name, role: c.role, kafkaUser: c.kafka.username });
  const service = (city: keyof typeof jurisdictions) => {
    let s = sharing.get(city);
    if (!s) {
      s = createSharingService({
        pool: t.db.pool,
        store: createApplicationStore({ pool: t.db.pool }),
        catalog: t.app.catalog,
        grants,
        verificationGrants: createVerificationGrantStore({ pool: t.db.pool }),
        profile: jurisdictions[city],
        log: testLogger(),
        audit: t.app.audit,
        instance: `trust-${city}`,
      });
      sharing.set(city, s);
    }
    return s;
  };
  const api = (who: { token: string }, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) => t.api(who, method, url, payload);
  const registry = (who: PrincipalCredentials, method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/registry${url}`,
      headers: {
        authorization: `Basic ${Buffer.from(`${who.name}:${who.token}`).toString('base64')}`,
        'content-type': 'application/vnd.schemaregistry.v1+json',
      },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const send = (who: PrincipalCredentials, dataset: string, records: unknown[]) => t.send(who, dataset, records);
  const landedFrom = (provider: string, n: number) => t.cleansedFrom(provider, 'base.natural_person', n);
  const row = async (key: string) =>
    (await t.db.pool.query(`SELECT name, phone, _lineage FROM "${t.db.schema}_base".natural_person WHERE _key = $1`, [key])).rows[0] as {
      name: string;
      phone: string;
    };

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    tax = await t.department('tax');
    mallory = await t.department('mallory');
    consumer = await t.principal('consumer');
    steward = await t.principal('steward');
    authority = await t.authority();
    await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name', 'gender', 'birth_date'] });
    await t.declare(tax, { dataset: 'theme.tax_credit_rating', shareType: 'conditional', shareConditions: '仅限信用监管用途' });
    await t.declare(tax, { dataset: 'theme.market_inspection', shareType: 'not_shared', legalBasis: '《税收征收管理法》第八条' });
    worker = await t.startCleansing();
    grants = await t.startGrants();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('a second department cannot switch masking off: its low-grade schema is refused and grants mask by the contract', async () => {
    const [file] = (await loadSchemaFiles()).filter((s) => s.dataset === 'base.natural_person');
    const json = JSON.parse(file!.text) as { fields: Record<string, unknown>[] };
    const lowered = {
      ...json,
      fields: [...json.fields.map((f) => ({ ...f, grade: 1 })), { name: 'shoe_size', type: ['null', 'int'], default: null, doc: '鞋码', grade: 1 }],
    };
    const refused = await api(mallory, 'POST', '/catalog', { dataset: 'base.natural_person', schema: lowered });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().message).toMatch(/lowers the grade of id_number from 4 to 1/);
    expect(refused.json().message).toMatch(/adds field shoe_size/);

    malloryPerson = await t.declare(mallory, { dataset: 'base.natural_person' });
    expect(malloryPerson).toMatchObject({
      status: 'pending',
      provider: mallory.name,
      schemaId: (await t.app.catalog.targetOf(psb.name, 'base.natural_person')).schemaId,
    });
    // Not the contract's owner: it cannot evolve it, not even to a compatible schema.
    const evolve = await api(mallory, 'PUT', `/catalog/${malloryPerson.id}`, { schema: lowered, reason: '降级' });
    expect(evolve.statusCode).toBe(403);
    // The owner cannot lower a grade either.
    const ownerLowers = await api(psb, 'PUT', `/catalog/${psb.name}.base.natural_person`, { schema: lowered, reason: '降级' });
    expect(ownerLowers.statusCode).toBe(422);
    expect(ownerLowers.json().message).toMatch(/never drop fields or lower grades/);

    const app = await service('hefei').submit(
      { purpose: '社保资格核验', datasets: [{ dataset: 'base.natural_person', fields: ['id_number', 'name', 'gender'] }], validUntil: inAYear() },
      asPrincipal(consumer),
    );
    expect(app.status).toBe('granted');
    const grant = await grants.get(app.grantId!);
    expect(grant!.datasets[0]!.masked).toMatchObject({ id_number: 'partial', name: 'partial' });
    const share = JSON.parse((await t.app.registry.latest(grant!.datasets[0]!.subject)).schema) as {
      fields: { name: string; grade: number; masking?: string }[];
    };
    expect(share.fields.find((f) => f.name === 'id_number')).toMatchObject({ grade: 4, masking: 'partial' });
  });

  it('a pending provider is listed for the authority, has no Kafka rights, and its records are refused', async () => {
    const listed = await api(authority, 'GET', '/catalog/enrolments');
    expect(listed.json().entries.map((e: CatalogEntry) => e.id)).toContain(malloryPerson.id);
    expect((await api(mallory, 'GET', '/catalog/enrolments')).statusCode).toBe(403);
    const acls = await t.app.kafka.admin.aclsOf(mallory.name);
    expect(acls.filter((a) => a.name === malloryPerson.topic)).toHaveLength(0);
    const records = await api(mallory, 'POST', '/datasets/base.natural_person/records', { records: [person(1, { name: '攻击者' })] });
    expect(records.statusCode).toBe(403);
    expect(records.json().message).toMatch(/enrolment .* waits for the data authority/);
    // Mallory cannot enrol itself, nor name itself an authority.
    expect((await api(mallory, 'POST', `/catalog/${malloryPerson.id}/enrolment`, { decision: 'approve' })).statusCode).toBe(403);
    expect((await api(mallory, 'PUT', `/catalog/${malloryPerson.id}`, { authoritativeFields: ['name'], reason: '我是权威' })).statusCode).toBe(403);
  });

  it('an enrolled provider never overwrites: its differing values become conflict alerts, whichever arrives first', async () => {
    const enrolled = await t.enrol(malloryPerson, {});
    expect(enrolled).toMatchObject({ status: 'active', authoritativeFields: [] });
    // The broker applies ACL changes from its metadata log, a moment after the controller commits them.
    const operations = async () =>
      (await t.app.kafka.admin.aclsOf(mallory.name))
        .filter((a) => a.name === malloryPerson.topic)
        .map((a) => a.operation)
        .sort();
    expect(await waitFor(operations, (ops) => ops.length >= 2, 10_000)).toEqual(['describe', 'write']);
    // The hub's workers follow catalog changes; this test's own worker is told.
    await worker.refresh();
    // psb first, then mallory: the authority's value and the first value of an unowned field stay.
    await send(psb, 'base.natural_person', [person(1), person(2)]);
    await landedFrom(psb.name, 2);
    await send(mallory, 'base.natural_person', [person(1, { name: '攻击者', phone: '13900000000' })]);
    await landedFrom(mallory.name, 1);
    expect(await row(String(person(1).id_number))).toMatchObject({ name: person(1).name, phone: person(1).phone });
    // mallory first (a provisional value), then psb, the authority: psb's value lands, and it is a conflict too.
    await send(mallory, 'base.natural_person', [person(3, { name: '攻击者' })]);
    await landedFrom(mallory.name, 2);
    expect((await row(String(person(3).id_number))).name).toBe('攻击者');
    await send(psb, 'base.natural_person', [person(3)]);
    await landedFrom(psb.name, 3);
    expect((await row(String(person(3).id_number))).name).toBe(person(3).name);
    // A provider may still correct its own provisional value.
    await send(mallory, 'base.natural_person', [person(4, { phone: '13900000001' })]);
    await send(mallory, 'base.natural_person', [person(4, { phone: '13900000002' })]);
    await landedFrom(mallory.name, 4);
    expect((await row(String(person(4).id_number))).phone).toBe('13900000002');

    const conflicts = async (who: PrincipalCredentials, key: string) =>
      (await api(who, 'GET', `/quality/alerts?kind=conflict&key=${key}`)).json() as (QualityAlert & { values: { redacted?: boolean }[] })[];
    const first = await conflicts(steward, String(person(1).id_number));
    expect(first.map((a) => a.fields[0]).sort()).toEqual(['name', 'phone']);
    const name1 = first.find((a) => a.fields[0] === 'name')!;
    expect(name1.values).toEqual([
      { provider: psb.name, field: 'name', value: person(1).name, authoritative: true },
      { provider: mallory.name, field: 'name', value: '攻击者', authoritative: false },
    ]);
    const third = await conflicts(steward, String(person(3).id_number));
    expect(third).toHaveLength(1);
    expect(third[0]!.values.map((v) => `${v.provider}:${String(v.value)}`)).toEqual([`${psb.name}:${person(3).name}`, `${mallory.name}:攻击者`]);
  });

  it("a department sees conflicts about its kept values, others' values redacted; rejected ones only once a steward routes them", async () => {
    const key = String(person(1).id_number);
    const view = async (who: PrincipalCredentials) => {
      const res = await api(who, 'GET', `/quality/alerts?kind=conflict&key=${key}`);
      expect(res.statusCode).toBe(200);
      return { body: res.body, alerts: res.json() as (QualityAlert & { values: { provider: string; value: unknown; redacted?: boolean }[] })[] };
    };
    // Whether a conflict is raised would tell mallory whether its value matches psb's: it sees none yet.
    expect((await view(mallory)).alerts).toHaveLength(0);
    const psbView = await view(psb);
    expect(psbView.alerts).toHaveLength(2);
    expect(psbView.body).toContain(person(1).name as string);
    expect(psbView.body).not.toContain('攻击者');
    expect(psbView.body).not.toContain('13900000000');
    const stewardView = await view(steward);
    expect(stewardView.body).toContain('攻击者');
    for (const a of stewardView.alerts) {
      const routed = await api(steward, 'PATCH', `/quality/alerts/${a.id}`, { status: 'routed', note: '请核实' });
      expect(routed.statusCode, routed.body).toBe(200);
    }
    const routed = await view(mallory);
    expect(routed.alerts).toHaveLength(2);
    for (const a of routed.alerts) {
      expect(a.values.find((v) => v.provider === psb.name)).toMatchObject({ value: null, redacted: true });
      expect(a.values.find((v) => v.provider === mallory.name)!.value).not.toBeNull();
    }
    expect(routed.body).not.toContain(person(1).name as string);
    expect(routed.body).not.toContain(person(1).phone as string);
    expect((await view(authority)).body).toContain('攻击者');
  });

  it('applications go to the authoritative provider of each field: a later declarer with a code that sorts first decides nothing', async () => {
    const hijack = await api(mallory, 'POST', '/catalog', { dataset: 'theme.tax_credit_rating', resourceCode: '0000-first', shareType: 'unconditional' });
    expect(hijack.statusCode).toBe(400);
    expect(hijack.json().message).toMatch(/resource codes are <provider>.<dataset>/);
    const entry = await t.declare(mallory, {
      dataset: 'theme.tax_credit_rating',
      shareType: 'conditional',
      shareConditions: '任意',
      authoritativeFields: ['credit_level'],
    });
    expect(entry.status).toBe('pending');
    await t.enrol(entry, {});

    const app = await service('hefei').submit(
      {
        purpose: '信用监管',
        datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level'] }],
        validUntil: inAYear(),
        confidentialityRef: 'BM-2024-009',
      },
      asPrincipal(consumer),
    );
    expect(app).toMatchObject({ status: 'pending-provider', provider: tax.name });
    expect((await api(mallory, 'GET', '/applications')).json().map((a: Application) => a.id)).not.toContain(app.id);
    expect((await api(mallory, 'GET', `/applications/${app.id}`)).statusCode).toBe(404);
    const decide = await api(mallory, 'POST', `/applications/${app.id}/decision`, { decision: 'approve' });
    expect(decide.statusCode).toBe(403);
    // In Hefei the authority does not decide for the provider either, until the application is escalated.
    expect((await api(authority, 'POST', `/applications/${app.id}/decision`, { decision: 'approve' })).statusCode).toBe(403);
    expect((await api(tax, 'GET', `/applications/${app.id}`)).json()).toMatchObject({
      decisions: [{ decider: tax.name, status: 'pending', fields: ['theme.tax_credit_rating.credit_level'] }],
    });
    const approved = await api(tax, 'POST', `/applications/${app.id}/decision`, { decision: 'approve' });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'granted', decidedBy: tax.name });
  });

  it('with several authoritative providers each decides its own fields; in Wuxi the authority decides after consulting them', async () => {
    await api(authority, 'PUT', '/contracts/theme.tax_credit_rating/authorities', {
      authorities: { credit_level: tax.name, rating_year: mallory.name },
      reason: '评价年度由 mallory 负责',
    }).then((r) => expect(r.statusCode, r.body).toBe(200));
    const both = await service('hefei').submit(
      {
        purpose: '信用监管',
        datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level', 'rating_year'] }],
        validUntil: inAYear(),
        confidentialityRef: 'BM-2024-010',
      },
      asPrincipal(consumer),
    );
    expect(both.provider).toBeNull();
    await service('hefei').decide(both.id, { approve: true }, asPrincipal(tax));
    expect(
      await service('hefei')
        .decide(both.id, { approve: true }, asPrincipal(tax))
        .catch((e: Error) => e.message),
    ).toMatch(/only/);
    const granted = await service('hefei').decide(both.id, { approve: true }, asPrincipal(mallory));
    expect(granted.status).toBe('granted');

    expect(jurisdictions.wuxi.application.decidedBy).toBe('authority-consulting-provider');
    expect(jurisdictions.quanzhou.application.decidedBy).toBe('authority-consulting-provider');
    const wuxi = await service('wuxi').submit(
      {
        purpose: '信用监管',
        datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level'] }],
        validUntil: inAYear(),
        confidentialityRef: 'BM-2024-011',
      },
      asPrincipal(consumer),
    );
    await expect(service('wuxi').decide(wuxi.id, { approve: true }, asPrincipal(tax))).rejects.toThrow(/authority decides .* after consulting/);
    await service('wuxi').consult(wuxi.id, { agree: true, note: '同意共享' }, asPrincipal(tax));
    await expect(service('wuxi').consult(wuxi.id, { agree: true, note: '我也同意' }, asPrincipal(mallory))).rejects.toThrow(/not consulted/);
    const decided = await service('wuxi').decide(wuxi.id, { approve: true }, asPrincipal(authority));
    expect(decided).toMatchObject({ status: 'granted', decidedBy: authority.name });
  });

  it('verification is a granted use: 403 without a grant, answers with one, and unknown keys look like mismatches', async () => {
    await send(tax, 'theme.market_inspection', [samplesV1['theme.market_inspection']]);
    const sample = samplesV1['theme.market_inspection'] as Record<string, unknown>;
    const key = String(sample.inspection_id);
    await t.landed('theme.market_inspection', 1);
    const claim = { dataset: 'theme.market_inspection', key, claims: { result: sample.result } };
    expect((await api(consumer, 'POST', '/verify', claim)).statusCode).toBe(403);
    expect((await api(mallory, 'POST', '/verify', claim)).statusCode).toBe(403);
    // Not-shared data is never delivered, only granted for verification, by its provider.
    await expect(
      service('hefei').submit(
        {
          purpose: '执法核验',
          datasets: [{ dataset: 'theme.market_inspection', fields: ['result'] }],
          validUntil: inAYear(),
          confidentialityRef: 'BM-2024-012',
        },
        asPrincipal(consumer),
      ),
    ).rejects.toThrow(/only be verified/);
    const app = await api(consumer, 'POST', '/applications', {
      purpose: '执法核验',
      datasets: [{ dataset: 'theme.market_inspection', fields: ['result'] }],
      validUntil: inAYear(),
      confidentialityRef: 'BM-2024-012',
      use: 'verification',
    });
    expect(app.json()).toMatchObject({ status: 'pending-provider', provider: tax.name, use: 'verification' });
    await api(tax, 'POST', `/applications/${app.json().id}/decision`, { decision: 'approve' }).then((r) => expect(r.json().status).toBe('granted'));
    expect((await t.app.kafka.admin.aclsOf(consumer.name)).filter((a) => a.name.includes(app.json().grantId))).toHaveLength(0);

    const right = await api(consumer, 'POST', '/verify', claim);
    expect(right.statusCode, right.body).toBe(200);
    expect(right.json().results).toEqual({ result: 'match' });
    // Fields outside the grant stay refused.
    expect((await api(consumer, 'POST', '/verify', { ...claim, claims: { result: sample.result, subject_name: 'x' } })).statusCode).toBe(403);
    const wrong = await api(consumer, 'POST', '/verify', { ...claim, claims: { result: 'ZZ' } });
    const unknown = await api(consumer, 'POST', '/verify', { ...claim, key: `${key}9`, claims: { result: 'ZZ' } });
    expect(unknown.statusCode).toBe(wrong.statusCode);
    expect(unknown.body.replace(`${key}9`, key)).toBe(wrong.body);
    expect(wrong.json()).not.toHaveProperty('found');
  });

  it('no side door through the registry: a grade-5 version, another contract, NONE compatibility and deletes are refused', async () => {
    const [file] = (await loadSchemaFiles()).filter((s) => s.dataset === 'base.natural_person');
    const subject = `raw.${mallory.name}.base.natural_person-value`;
    const enc = encodeURIComponent;
    expect((await registry(mallory, 'POST', `/subjects/${enc(subject)}/versions`, { schema: file!.text })).statusCode).toBe(200);
    const secret = JSON.parse(file!.text) as { fields: Record<string, unknown>[] };
    secret.fields.push({ name: 'secret_note', type: ['null', 'string'], default: null, doc: '涉密备注', grade: 5 });
    const five = await registry(mallory, 'POST', `/subjects/${enc(subject)}/versions`, { schema: JSON.stringify(secret) });
    expect(five.statusCode).toBe(422);
    expect(five.json().message).toMatch(/state secret/);
    const other = {
      ...JSON.parse(file!.text),
      fields: [
        ...(JSON.parse(file!.text) as { fields: unknown[] }).fields,
        { name: 'nickname', type: ['null', 'string'], default: null, doc: '昵称', grade: 1 },
      ],
    };
    expect((await registry(mallory, 'POST', `/subjects/${enc(subject)}/versions`, { schema: JSON.stringify(other) })).statusCode).toBe(422);
    expect((await registry(mallory, 'PUT', `/config/${enc(subject)}`, { compatibility: 'NONE' })).statusCode).toBe(403);
    expect((await registry(mallory, 'PUT', `/mode/${enc(subject)}`, { mode: 'IMPORT' })).statusCode).toBe(403);
    expect((await registry(mallory, 'DELETE', `/subjects/${enc(subject)}/versions/1`)).statusCode).toBe(403);
    expect((await registry(mallory, 'POST', `/subjects/${enc(`raw.${psb.name}.base.natural_person-value`)}/versions`, { schema: file!.text })).statusCode).toBe(
      403,
    );
    // A subject that only starts like mallory's is not mallory's.
    expect(
      (await registry(mallory, 'POST', `/subjects/${enc(`raw.${mallory.name}.base.natural_person.x-value`)}/versions`, { schema: file!.text })).statusCode,
    ).toBe(403);
    // New applications for the dataset still work.
    const app = await service('hefei').submit(
      { purpose: '社保资格核验', datasets: [{ dataset: 'base.natural_person', fields: ['gender'] }], validUntil: inAYear() },
      asPrincipal(consumer),
    );
    expect(app.status).toBe('granted');
  });

  it('a department principal never has a dot in its name, whichever route creates it', async () => {
    const dotted = await api(authority, 'POST', '/principals', { name: `${psb.name}.base`, role: 'department' });
    expect(dotted.statusCode).toBe(400);
    expect(dotted.json().message).toMatch(/lower-case letters, digits or "-"/);
    await expect(t.app.principals.create({ name: 'raw.psb', role: 'department' })).rejects.toThrow(/lower-case letters, digits or "-"/);
    expect((await api(authority, 'POST', '/departments', { name: 'a.b', displayName: '点' })).statusCode).toBe(400);
  });
});
