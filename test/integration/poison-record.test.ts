import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import { samplesV1 } from '../schemas/samples.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

describe('a poison record', () => {
  let t: TestApp;
  let tax: PrincipalCredentials;
  let psb: PrincipalCredentials;
  let ratings: CatalogEntry;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    tax = await t.department('tax');
    psb = await t.department('psb');
    ratings = await t.declare(tax, { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' });
    await t.declare(psb, { dataset: 'base.natural_person' });
    await t.startCleansing();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('is quarantined with its reason and an alert, and the records after it, and other datasets, still land', async () => {
    const sample = samplesV1['theme.tax_credit_rating'] as Record<string, unknown>;
    const id = await t.app.registry.latestId(ratings.subject);
    // Produced natively: it passes decoding, but no database can store U+0000.
    const native = async (year: number, name: string) => ({
      key: `${String(sample.taxpayer_id)}|${year}`,
      value: await t.app.registry.encode(id, { ...sample, rating_year: year, taxpayer_name: name }),
      partition: 0,
      headers: { 'hub-source': tax.name, 'hub-ingest-path': 'kafka', 'hub-event-time': new Date().toISOString(), 'hub-record-id': randomUUID() },
    });
    await t.app.kafka.producer.send(ratings.topic, [await native(2101, '皖江\u0000数字'), await native(2102, '皖江数字')]);
    await t.send(psb, 'base.natural_person', [person(1)]);

    const ratingsTable = `"${t.db.schema}_theme".tax_credit_rating`;
    await waitFor(
      () =>
        t.db.pool
          .query(`SELECT rating_year FROM ${ratingsTable} WHERE _key = $1`, [`${String(sample.taxpayer_id)}|2102`])
          .then((r) => r.rowCount ?? 0)
          .catch(() => 0),
      (n) => n === 1,
    );
    await t.landed('base.natural_person', 1);
    const poisoned = await t.db.pool.query(`SELECT _change, _findings FROM ${ratingsTable}_history WHERE _key = $1`, [`${String(sample.taxpayer_id)}|2101`]);
    expect(poisoned.rows).toHaveLength(1);
    expect(poisoned.rows[0]).toMatchObject({ _change: 'quarantined', _findings: [expect.objectContaining({ field: 'taxpayer_name', rule: 'storable-text' })] });
    const current = await t.db.pool.query(`SELECT count(*) AS n FROM ${ratingsTable} WHERE _key = $1`, [`${String(sample.taxpayer_id)}|2101`]);
    expect(Number(current.rows[0].n)).toBe(0);
    const steward = await t.principal('steward');
    const alerts = (await t.api(steward, 'GET', '/quality/alerts?kind=invalid&dataset=theme.tax_credit_rating')).json() as { rule: string; key: string }[];
    expect(alerts).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'storable-text', key: `${String(sample.taxpayer_id)}|2101` })]));
  });
});
