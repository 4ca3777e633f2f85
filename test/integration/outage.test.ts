import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { samplesV1 } from '../schemas/samples.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

/**
 * A database failure is an outage, not a verdict on the data: cleansing keeps the record, does not
 * move past it, says it is failing on /health/ready, and lands it once Postgres takes it again.
 */
describe('an outage while landing', () => {
  let t: TestApp;
  let tax: PrincipalCredentials;
  const rating = samplesV1['theme.tax_credit_rating'] as Record<string, unknown>;
  const history = () => `"${t.db.schema}_theme".tax_credit_rating_history`;
  const landed = (year: number) =>
    t.db.pool
      .query(`SELECT 1 FROM "${t.db.schema}_theme".tax_credit_rating WHERE rating_year = $1`, [year])
      .then((r) => r.rowCount ?? 0)
      .catch(() => 0);

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    tax = await t.department('tax');
    await t.declare(tax, { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' });
    await t.startCleansing();
    await t.send(tax, 'theme.tax_credit_rating', [{ ...rating, rating_year: 4001 }]);
    expect(
      await waitFor(
        () => landed(4001),
        (n) => n === 1,
      ),
    ).toBe(1);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('retries, reports itself failing, loses nothing, and lands after recovery', async () => {
    // A failure Postgres produces on demand: every history insert is refused, as if the disk were full.
    await t.db.pool.query(
      `CREATE FUNCTION "${t.db.schema}".refuse_history() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file (test outage)'; END $$`,
    );
    await t.db.pool.query(`CREATE TRIGGER outage BEFORE INSERT ON ${history()} FOR EACH ROW EXECUTE FUNCTION "${t.db.schema}".refuse_history()`);
    try {
      await t.send(tax, 'theme.tax_credit_rating', [{ ...rating, rating_year: 4002 }]);
      const down = await waitFor(
        () => t.app.inject('/health/ready'),
        (res) => res.statusCode === 503,
        60_000,
      );
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'unavailable', work: { cleansing: { ok: false, error: expect.stringMatching(/test outage/) } } });
      expect(await landed(4002)).toBe(0);
      const quarantined = await t.db.pool.query(`SELECT count(*) AS n FROM ${history()} WHERE _change = 'quarantined'`);
      expect(Number(quarantined.rows[0].n)).toBe(0);
    } finally {
      await t.db.pool.query(`DROP TRIGGER outage ON ${history()}`);
    }
    expect(
      await waitFor(
        () => landed(4002),
        (n) => n === 1,
        60_000,
      ),
    ).toBe(1);
    const up = await waitFor(
      () => t.app.inject('/health/ready'),
      (res) => res.statusCode === 200,
      30_000,
    );
    expect(up.json()).toMatchObject({ status: 'ready', work: { cleansing: { ok: true } } });
  });
});
