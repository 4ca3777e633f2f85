import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../../services/platform/db/pool.ts';
import { loadSchemaFiles, type DatasetSchema } from '../../../services/contract/dataset-schema.ts';
import { ensureLandingTables, landingTableOf, type LandingTable } from '../../../services/cleansing/landing/tables.ts';
import { appendHistory, readCurrent, upsertCurrent, type FieldLineage } from '../../../services/cleansing/landing/rows.ts';
import { day, samplesV1, ts } from '../../schemas/samples.ts';
import { createTestDb, type TestDb } from '../../helpers/db.ts';
import { dropLandingSchemas, historyOf, keyOf, lineageOf } from './fixtures.ts';

describe('landing rows', () => {
  let db: TestDb;
  let prefix: string;
  let schemas: DatasetSchema[];
  let person: DatasetSchema;
  let people: LandingTable;
  const sample = samplesV1['base.natural_person'] as Record<string, unknown>;

  function personRow(i: number, overrides: Record<string, unknown> = {}) {
    const values = { ...sample, id_number: `P${String(i).padStart(17, '0')}`, ...overrides };
    return { key: values.id_number as string, values, lineage: lineageOf(values), provisional: [] as string[] };
  }

  beforeAll(async () => {
    db = await createTestDb();
    prefix = `${db.schema}_`;
    schemas = await loadSchemaFiles();
    const found = schemas.find((s) => s.dataset === 'base.natural_person');
    if (found === undefined) throw new Error('no base.natural_person schema');
    person = found;
    people = landingTableOf(person, prefix);
    for (const s of schemas) await ensureLandingTables({ pool: db.pool, table: landingTableOf(s, prefix) });
  });
  afterAll(async () => {
    await dropLandingSchemas(db.pool, prefix);
    await db.cleanup();
  });

  it('round-trips every sample record as the same Avro-style values', async () => {
    for (const schema of schemas) {
      const table = landingTableOf(schema, prefix);
      const values = samplesV1[schema.dataset];
      if (values === undefined) throw new Error(`no sample for ${schema.dataset}`);
      const key = keyOf(schema, values);
      const lineage = lineageOf(values);
      await withTransaction(db.pool, async (client) => {
        expect(await upsertCurrent(client, table, [{ key, values: { ...values }, lineage, provisional: ['phone'] }])).toEqual({
          inserted: 1,
          updated: 0,
          unchanged: 0,
        });
        const read = await readCurrent(client, table, [key, 'no-such-key']);
        expect([...read.keys()]).toEqual([key]);
        expect(read.get(key)).toEqual({ key, values, lineage, provisional: ['phone'], version: 1 });
      });
    }
  });

  it('stores real Postgres values: dates, instants, longs and enums a SQL reader understands', async () => {
    const edge = personRow(1, {
      birth_date: day('1949-10-01'),
      death_date: day('2024-02-29'),
      updated_at: ts('1969-12-31T23:59:59.999Z'),
      residence_address: null,
    });
    const wide = { ...samplesV1['base.legal_entity'], uscc: 'WIDE', registered_capital_fen: 9_007_199_254_740_991 };
    const legal = landingTableOf(schemas.find((s) => s.dataset === 'base.legal_entity') as DatasetSchema, prefix);
    await withTransaction(db.pool, async (client) => {
      await upsertCurrent(client, people, [edge]);
      await upsertCurrent(client, legal, [{ key: 'WIDE', values: wide, lineage: lineageOf(wide), provisional: [] }]);
      expect((await readCurrent(client, people, [edge.key])).get(edge.key)?.values).toEqual(edge.values);
      expect((await readCurrent(client, legal, ['WIDE'])).get('WIDE')?.values).toEqual(wide);
    });
    const { rows } = await db.pool.query(
      `SELECT birth_date::text AS birth, death_date::text AS death, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS updated, gender, residence_address
         FROM "${people.schema}".natural_person WHERE _key = $1`,
      [edge.key],
    );
    expect(rows[0]).toEqual({ birth: '1949-10-01', death: '2024-02-29', updated: '1969-12-31 23:59:59.999', gender: 'MALE', residence_address: null });
    const { rows: money } = await db.pool.query(`SELECT registered_capital_fen::text AS fen FROM "${legal.schema}".legal_entity WHERE _key = 'WIDE'`);
    expect(money[0]?.fen).toBe('9007199254740991');
  });

  it('is idempotent: the same rows again change nothing; a real change bumps the version', async () => {
    const rows = Array.from({ length: 6001 }, (_, i) => personRow(10_000 + i));
    const versionsAndTimes = async (keys: string[]) =>
      (
        await db.pool.query<{ _key: string; v: string; u: Date }>(
          `SELECT _key, _version::text AS v, _updated_at AS u FROM "${people.schema}".natural_person WHERE _key = ANY($1) ORDER BY _key`,
          [keys],
        )
      ).rows;

    await withTransaction(db.pool, async (client) => expect(await upsertCurrent(client, people, rows)).toEqual({ inserted: 6001, updated: 0, unchanged: 0 }));
    const first = await versionsAndTimes(rows.slice(0, 3).map((r) => r.key));
    await withTransaction(db.pool, async (client) => expect(await upsertCurrent(client, people, rows)).toEqual({ inserted: 0, updated: 0, unchanged: 6001 }));
    expect(await versionsAndTimes(rows.slice(0, 3).map((r) => r.key))).toEqual(first);

    const changed = personRow(10_001, { phone: '13800000000' });
    const moved = { ...personRow(10_002), lineage: lineageOf(sample, '99') };
    const fresh = personRow(99_999);
    await withTransaction(db.pool, async (client) => {
      expect(await upsertCurrent(client, people, [rows[0] as (typeof rows)[number], changed, moved, fresh])).toEqual({ inserted: 1, updated: 2, unchanged: 1 });
      const read = await readCurrent(client, people, [rows[0]?.key ?? '', changed.key, moved.key, fresh.key]);
      expect([...read.values()].map((r) => r.version)).toEqual([1, 2, 2, 1]);
      expect(read.get(changed.key)?.values.phone).toBe('13800000000');
      expect(read.get(moved.key)?.lineage.name?.offset).toBe('99');
    });
    const after = await versionsAndTimes([rows[0]?.key ?? '', changed.key]);
    expect(after[0]).toEqual(first[0]);
    expect(after[1]?.u.getTime()).toBeGreaterThan(first[1]?.u.getTime() ?? Infinity);
  });

  it('keeps lineage from several sources, compactly, and what it read back lands unchanged', async () => {
    const row = personRow(40_001);
    const civil: FieldLineage = {
      provider: 'civil',
      topic: 'raw.civil.base.natural_person',
      partition: 0,
      offset: '7',
      recordId: null,
      eventTime: null,
      authoritative: false,
      provisional: true,
    };
    const lineage = { ...row.lineage, marital_status: civil };
    await withTransaction(db.pool, async (client) => {
      await upsertCurrent(client, people, [{ ...row, lineage, provisional: ['marital_status'] }]);
      const read = (await readCurrent(client, people, [row.key])).get(row.key);
      expect(read).toMatchObject({ lineage, provisional: ['marital_status'], version: 1 });
      if (read === undefined) return;
      const { version: _, ...same } = read;
      expect(await upsertCurrent(client, people, [same])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    });
    const { rows } = await db.pool.query(
      `SELECT jsonb_array_length(_lineage) AS n, _lineage->1->>'provider' AS second FROM "${people.schema}".natural_person WHERE _key = $1`,
      [row.key],
    );
    expect(rows[0]).toEqual({ n: 2, second: 'civil' });
  });

  it('round-trips doubles that JSON cannot spell', async () => {
    const parcelSchema = schemas.find((s) => s.dataset === 'base.land_parcel') as DatasetSchema;
    const parcels = landingTableOf(parcelSchema, prefix);
    const values = { ...samplesV1['base.land_parcel'], unit_code: 'ODD', parcel_area_m2: Number.NaN, building_area_m2: -Infinity, longitude: 0.1 + 0.2 };
    await withTransaction(db.pool, async (client) => {
      await upsertCurrent(client, parcels, [{ key: 'ODD', values, lineage: lineageOf(values), provisional: [] }]);
      expect((await readCurrent(client, parcels, ['ODD'])).get('ODD')?.values).toEqual(values);
      expect(await upsertCurrent(client, parcels, [{ key: 'ODD', values, lineage: lineageOf(values), provisional: [] }])).toMatchObject({ unchanged: 1 });
    });
  });

  it('refuses a key twice in one upsert and a value of the wrong type, naming it', async () => {
    await withTransaction(db.pool, async (client) => {
      await expect(upsertCurrent(client, people, [personRow(5), personRow(5)])).rejects.toThrow(/key P0+5 appears twice/);
      await expect(upsertCurrent(client, people, [personRow(6, { birth_date: '1990-03-15' })])).rejects.toThrow(
        /key P0+6, field "birth_date": expected a date value/,
      );
      await expect(upsertCurrent(client, people, [personRow(7, { updated_at: 1.5 })])).rejects.toThrow(/field "updated_at": expected a timestamp value/);
    });
  });

  it('appends history in one statement and refuses UPDATE, DELETE and TRUNCATE on it', async () => {
    const a = personRow(20_001);
    const b = personRow(20_002, { gender: 'FEMALE' });
    await withTransaction(db.pool, async (client) => {
      await appendHistory(client, people, [
        historyOf(a.key, a.values, '7'),
        historyOf(b.key, b.values, '8', 'quarantined'),
        historyOf(a.key, a.values, '9', 'no-change'),
      ]);
    });
    const history = `"${people.schema}".natural_person_history`;
    const { rows } = await db.pool.query(
      `SELECT _key, gender, birth_date::text AS birth, _original->>'note' AS note, _provider, _topic, _partition, _offset::text AS "offset", _record_id,
              to_char(_event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS event, _change, _findings
         FROM ${history} WHERE _key = ANY($1) ORDER BY _history_id`,
      [[a.key, b.key]],
    );
    expect(rows).toEqual([
      {
        _key: a.key,
        gender: 'MALE',
        birth: '1990-03-15',
        note: '原始记录',
        _provider: 'psb',
        _topic: 'raw.psb.base.natural_person',
        _partition: 2,
        offset: '7',
        _record_id: 'rec-7',
        event: '2024-05-10 01:30:00.123',
        _change: 'insert',
        _findings: [],
      },
      expect.objectContaining({ _key: b.key, gender: 'FEMALE', offset: '8', _change: 'quarantined', _findings: [{ field: 'phone', rule: 'phone-cn' }] }),
      expect.objectContaining({ _key: a.key, offset: '9', _change: 'no-change' }),
    ]);

    await expect(db.pool.query(`UPDATE ${history} SET gender = 'FEMALE' WHERE _key = $1`, [a.key])).rejects.toThrow(/history is append-only: UPDATE/);
    await expect(db.pool.query(`DELETE FROM ${history} WHERE _key = $1`, [a.key])).rejects.toThrow(/history is append-only: DELETE/);
    await expect(db.pool.query(`DELETE FROM ${history} WHERE false`)).rejects.toThrow(/history is append-only/);
    await expect(db.pool.query(`TRUNCATE ${history}`)).rejects.toThrow(/history is append-only: TRUNCATE/);
    const { rows: still } = await db.pool.query(`SELECT count(*)::int AS n FROM ${history} WHERE _key = ANY($1)`, [[a.key, b.key]]);
    expect(still[0]?.n).toBe(3);

    await withTransaction(db.pool, async (client) => {
      await expect(appendHistory(client, people, [{ ...historyOf(a.key, a.values, '10'), offset: '-1' }])).rejects.toThrow(/not a Kafka offset/);
    });
  });

  it('locks the rows it reads until the transaction ends', async () => {
    const row = personRow(30_001);
    const other = personRow(30_002);
    await withTransaction(db.pool, (client) => upsertCurrent(client, people, [row, other]));
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      expect((await readCurrent(holder, people, [row.key])).size).toBe(1);
      await expect(
        withTransaction(db.pool, async (client) => {
          await client.query("SET LOCAL lock_timeout = '300ms'");
          await readCurrent(client, people, [row.key]);
        }),
      ).rejects.toMatchObject({ code: '55P03' });
      await withTransaction(db.pool, async (client) => {
        await client.query("SET LOCAL lock_timeout = '300ms'");
        expect((await readCurrent(client, people, [other.key])).size).toBe(1);
      });
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    await withTransaction(db.pool, async (client) => expect((await readCurrent(client, people, [row.key])).size).toBe(1));
  });
});
