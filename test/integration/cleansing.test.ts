import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { badResidentId, person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import type { QualityAlert } from '../../services/cleansing/alerts.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';

describe('cleansing and landing', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let mca: PrincipalCredentials;
  let table: string;
  let history: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    mca = await t.department('mca');
    // Public security is the authority for identity fields; civil affairs also reports people.
    await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name', 'gender', 'birth_date', 'ethnicity_code', 'household_region_code'] });
    const pending = await t.declare(mca, { dataset: 'base.natural_person', authoritativeFields: ['marital_status'] });
    expect(pending.status).toBe('pending');
    await t.enrol(pending, { marital_status: mca.name });
    await t.startCleansing();
    table = `"${t.db.schema}_base".natural_person`;
    history = `"${t.db.schema}_base".natural_person_history`;
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const send = async (who: PrincipalCredentials, records: Record<string, unknown>[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/base.natural_person/records', headers: t.auth(who), payload: { records } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await t.db.pool.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);
  const counts = async (provider: string) =>
    (
      await t.db.pool.query<{ records_in: string; duplicates: string; invalid: string; conflicts: string; landed: string }>(
        'SELECT * FROM cleansing_counts WHERE provider = $1',
        [provider],
      )
    ).rows[0];
  const readIn = async (provider: string, n: number) =>
    waitFor(
      () => counts(provider),
      (c) => Number(c?.records_in ?? 0) >= n,
    );
  const alerts = (query: string) =>
    t.app.inject({ url: `/api/v1/quality/alerts?${query}`, headers: t.auth({ token: stewardToken }) }).then((r) => r.json() as QualityAlert[]);
  let stewardToken = '';
  /** The landing table keeps lineage grouped by source: [{ fields: [...], provider, ... }]. */
  const lineageOf = (row: { _lineage: { fields: string[] }[] }, field: string) => row._lineage.find((g) => g.fields.includes(field));

  it('lands a retransmitted batch once, with its history', async () => {
    stewardToken = (await t.principal('steward')).token;
    const batch = [person(1), person(2), person(3)];
    await send(psb, batch);
    await send(psb, batch);
    await readIn(psb.name, 6);
    expect(await count(`SELECT count(*) AS n FROM ${table}`)).toBe(3);
    expect(await count(`SELECT count(*) AS n FROM ${history}`)).toBe(3);
    expect(await counts(psb.name)).toMatchObject({ records_in: '6', duplicates: '3', landed: '3' });
    const row = (await t.db.pool.query(`SELECT name, birth_date, _lineage, _version FROM ${table} WHERE _key = $1`, [person(1).id_number])).rows[0];
    expect(row.name).toBe('居民1');
    expect(lineageOf(row, 'name')).toMatchObject({ provider: psb.name, authoritative: true, provisional: false });
    expect(lineageOf(row, 'marital_status')).toMatchObject({ provider: psb.name, authoritative: false, provisional: true });
    expect(row._version).toBe('1');
  });

  it('keeps the authoritative value and raises one conflict alert when providers disagree', async () => {
    await send(psb, [person(10)]);
    await readIn(psb.name, 7);
    await send(mca, [person(10, { name: '居民十', marital_status: 'DIVORCED' })]);
    await readIn(mca.name, 1);
    const row = (await t.db.pool.query(`SELECT name, marital_status, _lineage FROM ${table} WHERE _key = $1`, [person(10).id_number])).rows[0];
    expect(row.name).toBe('居民10');
    expect(row.marital_status).toBe('DIVORCED');
    expect(lineageOf(row, 'marital_status')).toMatchObject({ provider: mca.name, authoritative: true });
    const all = await alerts(`kind=conflict&key=${person(10).id_number}`);
    // The name conflict, and mca's authoritative marital status contradicting psb's provisional one.
    expect(all.map((a) => a.fields[0]).sort()).toEqual(['marital_status', 'name']);
    expect(all.find((a) => a.fields[0] === 'marital_status')!.values).toEqual([
      { provider: mca.name, field: 'marital_status', value: 'DIVORCED', authoritative: true },
      { provider: psb.name, field: 'marital_status', value: person(10).marital_status, authoritative: false },
    ]);
    const conflicts = all.filter((a) => a.fields[0] === 'name');
    expect(conflicts[0]).toMatchObject({
      dataset: 'base.natural_person',
      fields: ['name'],
      rule: 'authoritative-source',
      values: [
        { provider: psb.name, field: 'name', value: '居民10', authoritative: true },
        { provider: mca.name, field: 'name', value: '居民十', authoritative: false },
      ],
    });
    expect(conflicts[0]!.sources.map((s) => s.provider)).toEqual([psb.name, mca.name]);
  });

  it('fills a field its authority has not sent yet, marked provisional until the authority speaks', async () => {
    await send(mca, [person(20, { name: '暂定名' })]);
    await readIn(mca.name, 2);
    let row = (await t.db.pool.query(`SELECT name, _provisional FROM ${table} WHERE _key = $1`, [person(20).id_number])).rows[0];
    expect(row.name).toBe('暂定名');
    expect(row._provisional).toEqual(expect.arrayContaining(['name', 'gender', 'birth_date']));
    await send(psb, [person(20)]);
    await readIn(psb.name, 8);
    row = (await t.db.pool.query(`SELECT name, _provisional FROM ${table} WHERE _key = $1`, [person(20).id_number])).rows[0];
    expect(row.name).toBe('居民20');
    expect(row._provisional).not.toContain('name');
  });

  it('quarantines a record with an invalid resident id, with an alert, and lands nothing of it', async () => {
    const bad = person(30, { id_number: badResidentId(30) });
    await send(psb, [bad]);
    await readIn(psb.name, 9);
    expect(await count(`SELECT count(*) AS n FROM ${table} WHERE _key = $1`, [bad.id_number])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM ${history} WHERE _key = $1 AND _change = 'quarantined'`, [bad.id_number])).toBe(1);
    const invalid = await alerts(`kind=invalid&key=${String(bad.id_number)}`);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ severity: 'error', rule: 'resident-id', fields: ['id_number'] });
  });

  it('gives the same result with Redis flushed mid-stream', async () => {
    const batch = [person(40), person(41)];
    await send(psb, batch);
    await readIn(psb.name, 11);
    // ioredis prefixes the keys of commands, but not KEYS patterns nor what KEYS returns.
    const prefix = t.config.redis.keyPrefix;
    const keys = await t.app.redis.keys(`${prefix}dedup:*`);
    expect(keys.length).toBeGreaterThan(0);
    await t.app.redis.del(...keys.map((k) => k.slice(prefix.length)));
    expect(await t.app.redis.keys(`${prefix}dedup:*`)).toHaveLength(0);
    await send(psb, [...batch, person(42)]);
    await readIn(psb.name, 14);
    expect(await count(`SELECT count(*) AS n FROM ${table} WHERE _key = ANY($1)`, [[40, 41, 42].map((n) => person(n).id_number)])).toBe(3);
    expect(await count(`SELECT count(*) AS n FROM ${history} WHERE _key = ANY($1)`, [[40, 41, 42].map((n) => person(n).id_number)])).toBe(3);
    expect(await counts(psb.name)).toMatchObject({ duplicates: '5' });
  });

  it('publishes the merged record with its lineage on the compacted clean topic', async () => {
    const stats = await t.app.inject({ url: '/api/v1/cleansing/stats', headers: t.auth({ token: stewardToken }) });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toEqual(
      expect.arrayContaining([expect.objectContaining({ dataset: 'base.natural_person', provider: psb.name, duplicates: 5, invalid: 1 })]),
    );
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toMatch(new RegExp(`hub_cleansing_landed_total\\{dataset="base.natural_person",provider="${psb.name}"\\} \\d+`));
    const latest = await t.app.registry.latest('clean.base.natural_person-value');
    expect(JSON.parse(latest.schema).fields.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['id_number', '_lineage', '_provisional']));
  });

  it('adds a column when the schema evolves compatibly, without losing data', async () => {
    const [schema] = (await loadSchemaFiles()).filter((s) => s.dataset === 'base.natural_person');
    const v1 = JSON.parse(schema!.text) as { fields: Record<string, unknown>[] };
    const v2 = { ...v1, fields: [...v1.fields, { name: 'nickname', type: ['null', 'string'], default: null, doc: '曾用名', grade: 3 }] };
    const changed = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/catalog/${psb.name}.base.natural_person`,
      headers: t.auth(psb),
      payload: { schema: v2, reason: '增加曾用名' },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const before = await count(`SELECT count(*) AS n FROM ${table}`);
    await send(psb, [person(50, { nickname: '小五' })]);
    await readIn(psb.name, 15);
    const row = (await t.db.pool.query(`SELECT nickname FROM ${table} WHERE _key = $1`, [person(50).id_number])).rows[0];
    expect(row?.nickname).toBe('小五');
    expect(await count(`SELECT count(*) AS n FROM ${table}`)).toBe(before + 1);
    expect((await t.db.pool.query(`SELECT name, nickname FROM ${table} WHERE _key = $1`, [person(1).id_number])).rows[0]).toEqual({
      name: '居民1',
      nickname: null,
    });
  });
});
