import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { badResidentId, person } from '../helpers/people.ts';
import { waitFor } from '../helpers/wait.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

/** Every administrative and governance act leaves a row in the audit trail, and the chain still verifies. */
describe('administrative acts in the audit trail', () => {
  let t: TestApp;
  let authority: PrincipalCredentials;
  let psb: PrincipalCredentials;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    authority = await t.authority();
    psb = await t.department('psb');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const actions = async () => (await t.app.audit.list({ limit: 1000 })).records;
  const has = async (action: string, match: (detail: Record<string, unknown>, r: { actor: string; subjectProvider: string | null }) => boolean = () => true) =>
    (await actions()).some((r) => r.action === action && match(r.detail, r));

  it('records principals, onboarding, catalog, enrolment, authorities, registry writes, scenarios, ingest, files and alert reviews', async () => {
    const created = await t.api(authority, 'POST', '/principals', { name: `auditee-${Date.now().toString(36)}`, role: 'consumer' });
    expect(created.statusCode).toBe(201);
    expect(await has('principal.created', (d) => d.principal === created.json().name)).toBe(true);
    expect(await has('department.onboarded', (d) => d.department === psb.name)).toBe(true);

    const entry = await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name'] });
    expect(await has('catalog.declared', (d) => d.entry === entry.id)).toBe(true);
    expect((await t.api(psb, 'PUT', `/catalog/${entry.id}`, { summary: '人口', reason: '补充摘要' })).statusCode).toBe(200);
    expect(await has('catalog.changed', (d) => d.entry === entry.id)).toBe(true);
    const mca = await t.department('mca');
    const pending = await t.declare(mca, { dataset: 'base.natural_person' });
    await t.enrol(pending, { marital_status: mca.name });
    expect(await has('catalog.provider_enrolled', (d, r) => d.entry === pending.id && r.subjectProvider === mca.name)).toBe(true);
    expect((await t.api(authority, 'PUT', '/contracts/base.natural_person/authorities', { authorities: { name: psb.name }, reason: '调整' })).statusCode).toBe(
      200,
    );
    expect(await has('catalog.authorities_changed')).toBe(true);

    const registry = (method: 'POST' | 'PUT', url: string, body: unknown) =>
      t.app.inject({
        method,
        url: `/registry${url}`,
        headers: {
          authorization: `Basic ${Buffer.from(`${authority.name}:${authority.token}`).toString('base64')}`,
          'content-type': 'application/vnd.schemaregistry.v1+json',
        },
        payload: JSON.stringify(body),
      });
    expect((await registry('POST', '/subjects/audit-test-value/versions', { schema: '"string"' })).statusCode).toBe(200);
    expect((await registry('PUT', '/config/audit-test-value', { compatibility: 'FULL' })).statusCode).toBe(200);
    expect(await has('registry.registered', (d, r) => d.subject === 'audit-test-value' && r.actor === authority.name)).toBe(true);
    expect(await has('registry.config_changed', (d) => d.subject === 'audit-test-value')).toBe(true);

    const scenario = await t.api(authority, 'POST', '/scenarios', {
      id: `scn-${Date.now().toString(36)}`,
      name: '核验',
      purpose: '身份核验',
      legalBasis: '第16条',
      datasets: [{ dataset: 'base.natural_person', fields: ['gender'] }],
      allowedRoles: ['consumer'],
      maxValidityDays: 30,
    });
    expect(scenario.statusCode).toBe(201);
    expect(await has('scenario.defined', (d) => d.scenario === scenario.json().id)).toBe(true);

    await t.startCleansing();
    await t.send(psb, 'base.natural_person', [person(1), person(2, { id_number: badResidentId(2) })]);
    expect(await has('ingest.batch', (d, r) => r.subjectProvider === psb.name && d.accepted === 2)).toBe(true);
    const file = await t.app.inject({
      method: 'POST',
      url: '/api/v1/datasets/base.natural_person/files',
      headers: { authorization: `Bearer ${psb.token}`, 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify(person(3))}\n`,
    });
    expect(file.statusCode).toBe(200);
    expect(await has('ingest.file', (d) => d.accepted === 1 && d.format === 'ndjson')).toBe(true);

    const steward = await t.principal('steward');
    const alerts = await waitFor(
      async () => (await t.api(steward, 'GET', '/quality/alerts?kind=invalid')).json() as { id: string }[],
      (list) => list.length > 0,
    );
    expect((await t.api(steward, 'PATCH', `/quality/alerts/${alerts[0]!.id}`, { status: 'routed', note: '请核实' })).statusCode).toBe(200);
    expect(await has('alert.reviewed', (d) => d.alert === alerts[0]!.id && d.status === 'routed')).toBe(true);
    expect((await t.app.audit.verify()).ok).toBe(true);
  });

  it("counts verifications of a provider's data in its usage view", async () => {
    await t.landed('base.natural_person', 1);
    const consumer = await t.principal('consumer');
    await t.grantVerification(consumer, 'base.natural_person', ['gender']);
    for (let i = 0; i < 3; i++) {
      const res = await t.api(consumer, 'POST', '/verify', { dataset: 'base.natural_person', key: person(1).id_number, claims: { gender: person(1).gender } });
      expect(res.statusCode).toBe(200);
    }
    const usage = (await t.api(psb, 'GET', '/audit/usage')).json() as { total: number; uses: { action: string; count: number }[] };
    const verifications = usage.uses.filter((u) => u.action === 'verification.called').reduce((n, u) => n + u.count, 0);
    expect(verifications).toBe(3);
  });
});
