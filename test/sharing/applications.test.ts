import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { uniqueName } from '../helpers/kafka.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import { samplesV1 } from '../schemas/samples.ts';
import type { GrantService } from '../../services/sharing/grant-service.ts';
import { createApplicationStore, type Application } from '../../services/sharing/application-store.ts';
import { createSharingService, type SharingService } from '../../services/sharing/applications.ts';
import { jurisdictions } from '../../services/platform/calendar/jurisdictions.ts';
import { createVerificationGrantStore } from '../../services/sharing/verification-grants.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

describe('applications and scenarios', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let tax: PrincipalCredentials;
  let consumer: PrincipalCredentials;
  let authority: PrincipalCredentials;
  let grants: GrantService;
  const services = new Map<string, SharingService>();
  const store = () => createApplicationStore({ pool: t.db.pool });
  const sharing = (city: keyof typeof jurisdictions) => {
    let s = services.get(city);
    if (!s) {
      s = createSharingService({
        pool: t.db.pool,
        store: store(),
        catalog: t.app.catalog,
        grants,
        verificationGrants: createVerificationGrantStore({ pool: t.db.pool }),
        profile: jurisdictions[city],
        log: testLogger(),
        audit: t.app.audit,
        instance: `test-${city}`,
      });
      services.set(city, s);
    }
    return s;
  };
  const principal = (c: PrincipalCredentials) => ({ name: c.name, role: c.role, kafkaUser: c.kafka.username });
  const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    tax = await t.department('tax');
    consumer = await t.principal('consumer');
    authority = await t.principal('authority');
    await t.declare(psb, { dataset: 'base.natural_person' });
    await t.declare(tax, { dataset: 'theme.tax_credit_rating', shareType: 'conditional', shareConditions: '仅限信用监管用途' });
    await t.declare(tax, { dataset: 'theme.market_inspection', shareType: 'not_shared', legalBasis: '《税收征收管理法》第八条' });
    await t.startCleansing();
    const send = (who: PrincipalCredentials, dataset: string, records: unknown[]) =>
      t.app.inject({ method: 'POST', url: `/api/v1/datasets/${dataset}/records`, headers: t.auth(who), payload: { records } });
    await send(psb, 'base.natural_person', [person(1), person(2)]);
    await send(tax, 'theme.tax_credit_rating', [samplesV1['theme.tax_credit_rating']]);
    await waitFor(
      () => t.db.pool.query('SELECT sum(landed) AS n FROM cleansing_counts').then((r) => Number(r.rows[0]?.n ?? 0)),
      (n) => n >= 3,
    );
    grants = await t.startGrants();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const steps = async (a: Application) => (await store().steps(a.id)).map((s) => `${s.actor}:${s.action}`);
  const shareAcls = async () => (await t.app.kafka.admin.aclsOf(consumer.name)).filter((a) => a.name.startsWith('share.'));

  it('grants unconditional data within the catalog fields at once, and records every step', async () => {
    const app = await sharing('hefei').submit(
      { purpose: '社保资格核验', datasets: [{ dataset: 'base.natural_person', fields: ['id_number', 'name'] }], validUntil: inAYear() },
      principal(consumer),
    );
    expect(app).toMatchObject({ status: 'granted', consumer: consumer.name, decidedBy: 'hub' });
    expect(app.grantId).toMatch(/^g-/);
    expect(await steps(app)).toEqual([`${consumer.name}:submitted`, 'hub:granted']);
    expect((await shareAcls()).map((a) => `${a.resource}:${a.operation}`).sort()).toEqual(
      expect.arrayContaining(['topic:read', 'topic:describe', 'group:read']),
    );
    const ended = await sharing('hefei').end(app.id, 'revoked', '用途变更', principal(authority));
    expect(ended.status).toBe('revoked');
    expect((await shareAcls()).filter((a) => a.name.includes(app.grantId!))).toHaveLength(0);
  });

  it('refuses not-shared data (verification only) and conditional data without a confidentiality agreement', async () => {
    await expect(
      sharing('hefei').submit(
        { purpose: 'x', datasets: [{ dataset: 'theme.market_inspection', fields: ['inspection_id'] }], validUntil: inAYear() },
        principal(consumer),
      ),
    ).rejects.toThrow(/only be verified/);
    await expect(
      sharing('hefei').submit(
        { purpose: 'x', datasets: [{ dataset: 'theme.market_inspection', fields: ['inspection_id'] }], validUntil: inAYear(), use: 'verification' },
        principal(consumer),
      ),
    ).rejects.toThrow(/confidentiality agreement/);
    await expect(
      sharing('hefei').submit(
        { purpose: 'x', datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level'] }], validUntil: inAYear() },
        principal(consumer),
      ),
    ).rejects.toThrow(/confidentiality agreement/);
    await expect(
      sharing('hefei').submit(
        { purpose: 'x', datasets: [{ dataset: 'base.natural_person', fields: ['shoe_size'] }], validUntil: inAYear() },
        principal(consumer),
      ),
    ).rejects.toThrow(/no fields shoe_size/);
  });

  it('sends conditional data to its provider, who refuses only with reasons and basis', async () => {
    const app = await sharing('hefei').submit(
      {
        purpose: '信用监管',
        datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level'] }],
        validUntil: inAYear(),
        confidentialityRef: 'BM-2024-001',
      },
      principal(consumer),
    );
    expect(app).toMatchObject({ status: 'pending-provider', provider: tax.name, jurisdiction: 'hefei' });
    expect(Date.parse(app.answerDue!)).toBeGreaterThan(Date.now() + 9 * 86_400_000);
    await expect(sharing('hefei').decide(app.id, { approve: false }, principal(tax))).rejects.toThrow(/reasons and basis/);
    await expect(sharing('hefei').decide(app.id, { approve: true }, principal(psb))).rejects.toThrow(/only .* decide/);
    const refused = await sharing('hefei').decide(app.id, { approve: false, reason: '用途不符', basis: '《政务数据共享管理办法》第十五条' }, principal(tax));
    expect(refused).toMatchObject({ status: 'refused', decidedBy: tax.name, reason: '用途不符' });
  });

  it('silence past the deadline is consent in Hefei, the authority provides in Zhongshan, and goes to the authority in Fuzhou', async () => {
    const apply = (city: keyof typeof jurisdictions) =>
      sharing(city).submit(
        {
          purpose: '信用监管',
          datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level'] }],
          validUntil: inAYear(),
          confidentialityRef: 'BM-2024-002',
        },
        principal(consumer),
      );
    const hefei = await apply('hefei');
    const zhongshan = await apply('zhongshan');
    const fuzhou = await apply('fuzhou');
    const late = new Date(Date.now() + 40 * 86_400_000);
    // Two instances (each configured for Hefei) tick at once: every timer fires once, by the rules its application was filed under.
    const other = createSharingService({
      pool: t.db.pool,
      store: store(),
      catalog: t.app.catalog,
      grants,
      verificationGrants: createVerificationGrantStore({ pool: t.db.pool }),
      profile: jurisdictions.hefei,
      log: testLogger(),
      audit: t.app.audit,
      instance: 'test-other',
    });
    // A handler that fails gives its timer back for the next tick, as the hub's ticker would retry.
    for (let tick = 0; tick < 5; tick++) await Promise.all([sharing('hefei').fireDue(late), other.fireDue(late)]);
    expect(await store().byId(t.db.pool, hefei.id)).toMatchObject({ status: 'granted', decidedBy: 'hub' });
    expect(await store().byId(t.db.pool, zhongshan.id)).toMatchObject({ status: 'granted', decidedBy: 'authority' });
    expect(await store().byId(t.db.pool, fuzhou.id)).toMatchObject({ status: 'escalated' });
    expect(await steps(hefei)).toEqual([`${consumer.name}:submitted`, 'hub:sent-to-provider', 'hub:provider-silent', 'hub:granted']);
    const trail = await t.app.audit.list({ action: 'application.*', limit: 1000 });
    expect(
      trail.records
        .filter((r) => r.detail.application === hefei.id)
        .map((r) => r.action)
        .reverse(),
    ).toEqual(['application.submitted', 'application.sent_to_provider', 'application.provider_silent', 'application.granted']);
    expect((await t.app.audit.verify()).ok).toBe(true);
    const timers = await t.db.pool.query('SELECT count(*) AS n FROM sharing_timers WHERE application_id = $1 AND kind = $2 AND fired_at IS NOT NULL', [
      hefei.id,
      'answer-due',
    ]);
    expect(Number(timers.rows[0].n)).toBe(1);
  });

  it('grants at once what fits a scenario, and expires the grant at the end of its period', async () => {
    const scenario = await sharing('hefei').defineScenario(
      {
        id: uniqueName('scn'),
        name: '纳税信用查询',
        purpose: '招投标资格审查',
        legalBasis: '合肥 第16条',
        datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level', 'rating_year'] }],
        allowedRoles: ['consumer'],
        maxValidityDays: 90,
      },
      principal(authority),
    );
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const app = await sharing('hefei').submit(
      { purpose: '招投标资格审查', datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level'] }], validUntil: until },
      principal(consumer),
    );
    expect(app).toMatchObject({ status: 'granted', scenarioId: scenario.id });
    await expect(
      sharing('hefei').submit(
        { purpose: 'x', datasets: [{ dataset: 'theme.tax_credit_rating', fields: ['credit_level'] }], validUntil: inAYear(), scenarioId: scenario.id },
        principal(consumer),
      ),
    ).rejects.toThrow(/does not fit scenario/);
    await sharing('hefei').fireDue(new Date(Date.parse(until) + 1000));
    expect(await store().byId(t.db.pool, app.id)).toMatchObject({ status: 'expired' });
    expect((await shareAcls()).filter((a) => a.name.includes(app.grantId!))).toHaveLength(0);
  });
  it('fires a timer whose instance died after claiming it, once its lease has passed, and only once', async () => {
    const until = new Date(Date.now() + 60 * 86_400_000).toISOString();
    const app = await sharing('hefei').submit(
      { purpose: '社保资格核验', datasets: [{ dataset: 'base.natural_person', fields: ['name'] }], validUntil: until },
      principal(consumer),
    );
    expect(app.status).toBe('granted');
    const late = new Date(Date.parse(until) + 1000);
    // An instance claims the expiry and dies before handling it.
    const claimed = await store().claimDue(late, 'dead-instance', 300_000);
    expect(claimed.map((c) => c.applicationId)).toContain(app.id);
    await sharing('hefei').fireDue(late);
    expect(await store().byId(t.db.pool, app.id)).toMatchObject({ status: 'granted' });

    await t.db.pool.query(`UPDATE sharing_timers SET fired_at = now() - interval '10 minutes' WHERE application_id = $1`, [app.id]);
    await sharing('hefei').fireDue(late);
    await sharing('hefei').fireDue(late);
    expect(await store().byId(t.db.pool, app.id)).toMatchObject({ status: 'expired' });
    expect((await steps(app)).filter((s) => s === 'hub:expired')).toHaveLength(1);
    const timer = await t.db.pool.query('SELECT fired_by, done_at FROM sharing_timers WHERE application_id = $1', [app.id]);
    expect(timer.rows).toEqual([{ fired_by: 'test-hefei', done_at: expect.any(Date) }]);
  });
});
