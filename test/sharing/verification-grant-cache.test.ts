import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

const dataset = 'base.natural_person';

/**
 * A covering verification grant is reused for HUB_VERIFY_GRANT_CACHE_MS; here a minute, so that
 * only the rules that bound it (the grant's expiry, an ending on this instance) can refuse in time.
 */
describe('the verification grant cache never outlives the grant', () => {
  let t: TestApp;
  let authority: PrincipalCredentials;
  const p = person(1);

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { HUB_VERIFY_GRANT_CACHE_MS: '60000' } });
    authority = await t.authority();
    const psb = await t.department('psb');
    await t.declare(psb, { dataset, authoritativeFields: ['name'] });
    await t.startCleansing();
    await t.send(psb, dataset, [p]);
    await t.landed(dataset, 1);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const verify = (who: PrincipalCredentials) =>
    t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: t.auth(who), payload: { dataset, key: String(p.id_number), claims: { name: p.name } } });
  const grantOf = async (who: PrincipalCredentials) =>
    (await t.db.pool.query<{ id: string; application_id: string }>('SELECT id, application_id FROM verification_grants WHERE consumer = $1', [who.name]))
      .rows[0]!;

  it('refuses once the grant has expired, though its answer was cached a moment before', async () => {
    const c = await t.principal('consumer');
    await t.grantVerification(c, dataset);
    await t.db.pool.query(`UPDATE verification_grants SET expires_at = now() + interval '1500 milliseconds' WHERE id = $1`, [(await grantOf(c)).id]);
    expect((await verify(c)).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect((await verify(c)).statusCode).toBe(403);
  });

  it('refuses at once when the grant is ended on this instance', async () => {
    const c = await t.principal('consumer');
    await t.grantVerification(c, dataset);
    expect((await verify(c)).statusCode).toBe(200);
    const ended = await t.api(authority, 'POST', `/applications/${(await grantOf(c)).application_id}/end`, { action: 'revoke', note: '停止核验' });
    expect(ended.statusCode, ended.body).toBe(200);
    expect((await verify(c)).statusCode).toBe(403);
  });
});
