import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPool, withTransaction, type Pool } from '../../../services/platform/db/pool.ts';
import { loadSchemaFiles, parseDatasetSchema, type DatasetSchema } from '../../../services/contract/dataset-schema.ts';
import { ensureLandingTables, landingTableOf } from '../../../services/cleansing/landing/tables.ts';
import { appendHistory, readCurrent, upsertCurrent } from '../../../services/cleansing/landing/rows.ts';
import { samplesV1 } from '../../schemas/samples.ts';
import { createTestDb, type TestDb } from '../../helpers/db.ts';
import { testConfig } from '../../helpers/config.ts';
import { testLogger } from '../../helpers/logger.ts';
import { dropLandingSchemas, historyOf, keyOf, lineageOf } from './fixtures.ts';

const expectedPgType: Record<string, string> = {
  string: 'text',
  enum: 'text',
  int: 'integer',
  long: 'bigint',
  double: 'double precision',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp with time zone',
};

interface ColumnInfo {
  column_name: string;
  data_type: string;
  is_nullable: string;
  comment: string | null;
}

async function columnsOf(pool: Pool, schema: string, table: string): Promise<Map<string, ColumnInfo>> {
  const { rows } = await pool.query<ColumnInfo>(
    `SELECT column_name, data_type, is_nullable, col_description(format('%I.%I', table_schema, table_name)::regclass, ordinal_position) AS comment
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [schema, table],
  );
  return new Map(rows.map((r) => [r.column_name, r]));
}

/** The schema file's JSON with changes, parsed under the same file name as a new version. */
function evolve(schema: DatasetSchema, change: (fields: Record<string, unknown>[]) => Record<string, unknown>[]): DatasetSchema {
  const json = JSON.parse(schema.text) as { fields: Record<string, unknown>[] };
  return parseDatasetSchema(JSON.stringify({ ...json, fields: change(json.fields) }), schema.file);
}

describe('landing tables', () => {
  let db: TestDb;
  let prefix: string;
  let schemas: DatasetSchema[];
  let person: DatasetSchema;
  beforeAll(async () => {
    db = await createTestDb();
    prefix = `${db.schema}_`;
    schemas = await loadSchemaFiles();
    const found = schemas.find((s) => s.dataset === 'base.natural_person');
    if (found === undefined) throw new Error('no base.natural_person schema');
    person = found;
  });
  afterAll(async () => {
    await dropLandingSchemas(db.pool, prefix);
    await db.cleanup();
  });

  it('creates a current and a history table for every dataset schema, with typed, documented columns', async () => {
    expect(schemas.length).toBeGreaterThanOrEqual(8);
    for (const schema of schemas) {
      const table = landingTableOf(schema, prefix);
      expect(table.schema).toBe(`${prefix}${schema.layer}`);
      expect(table.table).toBe(schema.dataset.split('.')[1]);
      expect(table.history).toBe(`${table.table}_history`);
      expect(await ensureLandingTables({ pool: db.pool, table })).toEqual({ created: true, addedColumns: [] });
      expect(await ensureLandingTables({ pool: db.pool, table })).toEqual({ created: false, addedColumns: [] });

      const current = await columnsOf(db.pool, table.schema, table.table);
      const history = await columnsOf(db.pool, table.schema, table.history);
      for (const c of table.columns) {
        const field = schema.fields.find((f) => f.name === c.field);
        for (const cols of [current, history]) {
          expect(cols.get(c.column), `${schema.dataset}.${c.field}`).toMatchObject({
            data_type: expectedPgType[c.kind],
            is_nullable: 'YES',
            comment: field?.doc,
          });
        }
      }
      expect([...current.keys()]).toEqual(expect.arrayContaining(['_key', '_lineage', '_provisional', '_version', '_landed_at', '_updated_at']));
      expect(current.get('_lineage')).toMatchObject({ data_type: 'jsonb', is_nullable: 'NO' });
      expect(current.get('_provisional')).toMatchObject({ data_type: 'ARRAY', is_nullable: 'NO' });
      expect(current.get('_version')).toMatchObject({ data_type: 'bigint', is_nullable: 'NO' });
      expect([...history.keys()]).toEqual(
        expect.arrayContaining([
          '_history_id',
          '_key',
          '_original',
          '_provider',
          '_topic',
          '_partition',
          '_offset',
          '_record_id',
          '_event_time',
          '_change',
          '_findings',
          '_landed_at',
        ]),
      );
      expect(current.size).toBe(table.columns.length + 6);
      expect(history.size).toBe(table.columns.length + 12);

      const { rows } = await db.pool.query<{ doc: string | null; pk: string[] }>(
        `SELECT obj_description(c.oid, 'pg_class') AS doc,
                (SELECT array_agg(a.attname::text) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                  WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
           FROM pg_class c WHERE c.oid = format('%I.%I', $1::text, $2::text)::regclass`,
        [table.schema, table.table],
      );
      expect(rows[0]).toEqual({ doc: schema.json.doc, pk: ['_key'] });
    }
    const { rows } = await db.pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) ORDER BY 1', [prefix]);
    expect(rows.map((r) => r.nspname)).toEqual([`${prefix}base`, `${prefix}theme`]);
  });

  it('adds the columns of a compatible new schema version to both tables, keeping every row', async () => {
    const evolvedPrefix = `${prefix}ev_`;
    const v1 = landingTableOf(person, evolvedPrefix);
    await ensureLandingTables({ pool: db.pool, table: v1 });
    const sample = samplesV1['base.natural_person'] as Record<string, unknown>;
    const key = keyOf(person, sample);
    await withTransaction(db.pool, async (client) => {
      await upsertCurrent(client, v1, [{ key, values: { ...sample }, lineage: lineageOf(sample), provisional: [] }]);
      await appendHistory(client, v1, [historyOf(key, { ...sample }, '41')]);
    });

    const v2Schema = evolve(person, (fields) => [
      ...fields,
      { name: 'nickname', type: ['null', 'string'], default: null, doc: '曾用名', grade: 3 },
      { name: 'verified_at', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null, doc: '核验时间', grade: 2 },
    ]);
    const v2 = landingTableOf(v2Schema, evolvedPrefix);
    expect(await ensureLandingTables({ pool: db.pool, table: v2 })).toEqual({ created: false, addedColumns: ['nickname', 'verified_at'] });
    expect(await ensureLandingTables({ pool: db.pool, table: v2 })).toEqual({ created: false, addedColumns: [] });
    const history = await columnsOf(db.pool, v2.schema, v2.history);
    expect(history.get('nickname')).toMatchObject({ data_type: 'text', comment: '曾用名' });
    expect(history.get('verified_at')).toMatchObject({ data_type: 'timestamp with time zone' });

    const updatedValues = { ...sample, nickname: '张小伟', verified_at: Date.UTC(2024, 5, 1, 2, 3, 4, 567) };
    await withTransaction(db.pool, async (client) => {
      const before = await readCurrent(client, v2, [key]);
      expect(before.get(key)).toMatchObject({ values: { ...sample, nickname: null, verified_at: null }, version: 1 });
      expect(await upsertCurrent(client, v2, [{ key, values: updatedValues, lineage: lineageOf(updatedValues, '42'), provisional: [] }])).toEqual({
        inserted: 0,
        updated: 1,
        unchanged: 0,
      });
      await appendHistory(client, v2, [historyOf(key, updatedValues, '42', 'update')]);
      expect((await readCurrent(client, v2, [key])).get(key)).toMatchObject({ values: updatedValues, version: 2 });
    });
    const { rows } = await db.pool.query(`SELECT _offset::int AS offset, name, nickname FROM "${v2.schema}"."${v2.history}" ORDER BY _history_id`);
    expect(rows).toEqual([
      { offset: 41, name: '张伟', nickname: null },
      { offset: 42, name: '张伟', nickname: '张小伟' },
    ]);

    // A reader still on v1 keeps working against the wider table.
    await withTransaction(db.pool, async (client) => {
      expect((await readCurrent(client, v1, [key])).get(key)?.values).toEqual(sample);
    });
  });

  it('refuses a changed field type, naming the field and both types, and changes nothing', async () => {
    const retypePrefix = `${prefix}rt_`;
    await ensureLandingTables({ pool: db.pool, table: landingTableOf(person, retypePrefix) });
    const retyped = evolve(person, (fields) => [
      ...fields.map((f) => (f.name === 'household_region_code' ? { ...f, type: 'long', rules: [] } : f)),
      { name: 'nickname', type: ['null', 'string'], default: null, doc: '曾用名', grade: 3 },
    ]);
    const table = landingTableOf(retyped, retypePrefix);
    await expect(ensureLandingTables({ pool: db.pool, table })).rejects.toThrow(
      /field "household_region_code" is text in .* but the schema makes it bigint \(long\)/,
    );
    const current = await columnsOf(db.pool, table.schema, table.table);
    expect(current.get('household_region_code')?.data_type).toBe('text');
    expect(current.has('nickname')).toBe(false);
  });

  it('refuses to take over a table that is not a landing table', async () => {
    const otherPrefix = `${prefix}ot_`;
    await db.pool.query(`CREATE SCHEMA "${otherPrefix}base"; CREATE TABLE "${otherPrefix}base".natural_person (id text)`);
    await expect(ensureLandingTables({ pool: db.pool, table: landingTableOf(person, otherPrefix) })).rejects.toThrow(/not a landing table/);
  });

  it('survives several processes creating and evolving the same tables at once', async () => {
    const racePrefix = `${prefix}race_`;
    const second = await openPool({ ...testConfig().database, schema: db.schema, log: testLogger() });
    try {
      const tables = schemas.map((s) => landingTableOf(s, racePrefix));
      const results = await Promise.all([db.pool, second, db.pool, second].flatMap((pool) => tables.map((table) => ensureLandingTables({ pool, table }))));
      expect(results.filter((r) => r.created)).toHaveLength(tables.length);

      const v2 = landingTableOf(
        evolve(person, (fields) => [...fields, { name: 'nickname', type: ['null', 'string'], default: null, doc: '曾用名', grade: 3 }]),
        racePrefix,
      );
      const evolved = await Promise.all([db.pool, second, db.pool].map((pool) => ensureLandingTables({ pool, table: v2 })));
      expect(evolved.flatMap((r) => r.addedColumns)).toEqual(['nickname']);
    } finally {
      await second.end();
    }
  });

  it('rejects names that are not plain Postgres identifiers', () => {
    expect(() => landingTableOf(person, 'Bad-Prefix')).toThrow(/not a valid Postgres identifier/);
    expect(() => landingTableOf(person, 'x'.repeat(60))).toThrow(/not a valid Postgres identifier/);
  });
});
