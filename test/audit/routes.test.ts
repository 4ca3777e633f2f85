import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { AuditEvent } from '../../services/audit/log.ts';

describe('audit routes', () => {
  let t: TestApp;
  let auditor: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let psb: PrincipalCredentials;
  let tax: PrincipalCredentials;
  beforeAll(async () => {
    t = await createTestApp();
    [auditor, authority, psb, tax] = await Promise.all([
      t.principal('auditor'),
      t.principal('authority'),
      t.principal('department', 'psb'),
      t.principal('department', 'tax'),
    ]);
    const use = (provider: string, actor: string, purpose: string): AuditEvent => ({
      actor,
      actorRole: 'consumer',
      action: 'verification.called',
      method: 'verification',
      purpose,
      approver: authority.name,
      subjectProvider: provider,
      datasets: ['base.natural_person'],
      fields: ['id_number'],
    });
    await t.app.audit.append(t.db.pool, use(psb.name, 'civil-affairs', '低保资格核验'));
    await t.app.audit.append(t.db.pool, use(psb.name, 'housing', '公租房资格审核'));
    await t.app.audit.append(t.db.pool, use(tax.name, 'bank-x', '信贷审查'));
  });
  afterAll(async () => t.cleanup());

  const get = (who: { token: string }, url: string) => t.app.inject({ url: `/api/v1${url}`, headers: t.auth(who) });

  it('lets an auditor read, filter and verify the trail', async () => {
    const all = await get(auditor, '/audit');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ total: 3, records: [{ seq: 3, actor: 'bank-x' }, { seq: 2 }, { seq: 1 }] });
    const filtered = await get(auditor, `/audit?provider=${psb.name}&actor=housing&limit=10`);
    expect(filtered.json()).toMatchObject({ total: 1, records: [{ seq: 2, purpose: '公租房资格审核', approver: authority.name }] });
    expect((await get(auditor, '/audit?from=yesterday')).statusCode).toBe(400);

    const verify = await get(auditor, '/audit/verify');
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true, checked: 3, problems: [] });
  });

  it('refuses the trail to operators: steward, consumer, authority, department', async () => {
    for (const role of ['steward', 'consumer'] as const) {
      const who = await t.principal(role);
      expect((await get(who, '/audit')).statusCode).toBe(403);
      expect((await get(who, '/audit/verify')).statusCode).toBe(403);
      expect((await get(who, `/audit/usage?provider=${psb.name}`)).statusCode).toBe(403);
    }
    expect((await get(authority, '/audit')).statusCode).toBe(403);
    expect((await get(psb, '/audit')).statusCode).toBe(403);
  });

  it('shows a department who used its own data, and only its own', async () => {
    const own = await get(psb, '/audit/usage');
    expect(own.statusCode).toBe(200);
    const body = own.json() as { provider: string; total: number; uses: { actor: string; purpose: string }[]; records: { subjectProvider: string }[] };
    expect(body.provider).toBe(psb.name);
    expect(body.total).toBe(2);
    expect(body.uses.map((u) => `${u.actor}:${u.purpose}`).sort()).toEqual(['civil-affairs:低保资格核验', 'housing:公租房资格审核']);
    expect(body.records.every((r) => r.subjectProvider === psb.name)).toBe(true);

    expect((await get(psb, `/audit/usage?provider=${psb.name}`)).statusCode).toBe(200);
    expect((await get(psb, `/audit/usage?provider=${tax.name}`)).statusCode).toBe(403);
    expect((await get(tax, '/audit/usage')).json()).toMatchObject({ provider: tax.name, total: 1, uses: [{ actor: 'bank-x' }] });
  });

  it('lets the authority and the auditor ask about any provider', async () => {
    expect((await get(authority, `/audit/usage?provider=${tax.name}`)).json()).toMatchObject({ total: 1 });
    expect((await get(auditor, `/audit/usage?provider=${psb.name}`)).json()).toMatchObject({ total: 2 });
    expect((await get(authority, '/audit/usage')).statusCode).toBe(400);
  });
});
