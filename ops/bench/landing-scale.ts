import { quoteIdent, withTransaction, type Pool } from '../../services/platform/db/pool.ts';
import type { Logger } from '../../services/platform/logger.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';
import { ensureLandingTables, landingTableOf, type LandingTable } from '../../services/cleansing/landing/tables.ts';
import { appendHistory, upsertCurrent } from '../../services/cleansing/landing/rows.ts';
import { packLineage } from '../../services/cleansing/landing/lineage.ts';
import { benchSchemaPrefix, dropBenchSchemas, personHistory, personLineage, personValues, spreadOddNumbers } from './landing-dataset.ts';
import { report, round } from './stats.ts';
import { rawTopic } from '../../services/contract/names.ts';

/** SQL for each natural_person field of prefilled row number x.n (even), mirroring personValues. */
const fillSql: Readonly<Record<string, string>> = {
  id_number: 'k.key',
  name: `'张' || (x.n % 1000)`,
  gender: `CASE WHEN x.n % 2 = 0 THEN 'MALE' ELSE 'FEMALE' END`,
  ethnicity_code: `'01'`,
  birth_date: `date '1950-01-01' + (x.n % 25000)::int`,
  household_region_code: `'340104'`,
  household_address: `'安徽省合肥市蜀山区长江西路' || (x.n % 999) || '号'`,
  residence_address: `CASE WHEN x.n % 3 = 0 THEN NULL ELSE '安徽省合肥市包河区徽州大道' || (x.n % 1777) || '号' END`,
  phone: `'139' || lpad((x.n % 100000000)::text, 8, '0')`,
  marital_status: `'MARRIED'`,
  education_code: `'21'`,
  registration_status: `'NORMAL'`,
  death_date: 'NULL::date',
  updated_at: `timestamptz '2024-01-01 00:00:00+00' + x.n * interval '1 second'`,
};

const fillRows = `generate_series($1::bigint, $2::bigint) AS g, LATERAL (SELECT 2 * g AS n) AS x, LATERAL (SELECT lpad(x.n::text, 18, '0') AS key) AS k`;

/**
 * Runs `sql` over row numbers 1..rows in slices of one statement each, two at a time (one per
 * core): a single statement would run on one core and make one burst of WAL.
 */
async function fillSlices(pool: Pool, sql: string, rows: number, extra: unknown[]): Promise<void> {
  const slice = 250_000;
  let next = 1;
  await Promise.all(
    [0, 1].map(async () => {
      while (next <= rows) {
        const from = next;
        next += slice;
        await pool.query(sql, [from, Math.min(rows, from + slice - 1), ...extra]);
      }
    }),
  );
}

/**
 * Fills the current table (and, with `history`, the history table: one insert entry per row) with
 * `rows` rows of even keys inside Postgres, then VACUUM (ANALYZE).
 */
export async function fill(pool: Pool, table: LandingTable, rows: number, history: boolean): Promise<void> {
  const current = `${quoteIdent(table.schema)}.${quoteIdent(table.table)}`;
  const past = `${quoteIdent(table.schema)}.${quoteIdent(table.history)}`;
  const fields = table.columns.map((c) => {
    const sql = fillSql[c.field];
    if (sql === undefined) throw new Error(`bench fill has no value for natural_person.${c.field}`);
    return { column: quoteIdent(c.column), sql };
  });
  const columns = fields.map((f) => f.column).join(', ');
  const values = fields.map((f) => f.sql).join(', ');
  await fillSlices(
    pool,
    `INSERT INTO ${current} (_key, ${columns}, _lineage, _provisional, _version, _updated_at)
       SELECT k.key, ${values}, $3::jsonb, '{}', 1, now() FROM ${fillRows}`,
    rows,
    [
      JSON.stringify(
        packLineage(
          personLineage(personValues(0), 0),
          table.columns.map((c) => c.field),
        ),
      ),
    ],
  );
  if (history) {
    await fillSlices(
      pool,
      `INSERT INTO ${past} (_key, ${columns}, _original, _provider, _topic, _partition, _offset, _record_id, _event_time, _change, _findings)
         SELECT k.key, ${values}, $3::jsonb, 'psb', $4, (x.n % 6)::int, x.n,
                '3f1c9a52-7b0e-4d8a-9c1e-' || lpad(x.n::text, 12, '0'), timestamptz '2024-05-01 00:00:00+00' + x.n * interval '1 millisecond', 'insert', '[]'
           FROM ${fillRows}`,
      rows,
      [JSON.stringify(personValues(0)), rawTopic('psb', 'base.natural_person')],
    );
  }
  // VACUUM as well as ANALYZE: otherwise autovacuum's insert threshold starts a pass over the whole
  // table in the middle of the measurement.
  await pool.query(`VACUUM (ANALYZE) ${current}`);
  if (history) await pool.query(`VACUUM (ANALYZE) ${past}`);
}

/** Lands the rows numbered `numbers` in transactions of `batch` (upsertCurrent + appendHistory, one connection); returns the seconds. */
async function land(pool: Pool, table: LandingTable, numbers: readonly number[], batch: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < numbers.length; i += batch) {
    const slice = numbers.slice(i, i + batch);
    const rows = slice.map((n) => {
      const values = personValues(n);
      return { key: values.id_number as string, values, lineage: personLineage(values, n), provisional: [] };
    });
    await withTransaction(pool, async (client) => {
      await upsertCurrent(client, table, rows);
      await appendHistory(
        client,
        table,
        rows.map((r, j) => personHistory(r.key, r.values, slice[j] as number)),
      );
    });
  }
  return (performance.now() - started) / 1000;
}

/** Table, TOAST and indexes, in MiB. */
async function sizeMb(pool: Pool, schema: string, table: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string }>('SELECT pg_total_relation_size(format($1, $2::text, $3::text)::regclass)::text AS bytes', [
    '%I.%I',
    schema,
    table,
  ]);
  return round(Number(rows[0]?.bytes ?? 0) / 1024 / 1024, 1);
}

/**
 * The landing rate (upsertCurrent + appendHistory, transactions of 500, new business keys) into an
 * empty base.natural_person table, beside the same landing into one already holding `prefilled`
 * rows (filled inside Postgres, then vacuumed and analysed): how the rate holds up as a base
 * database grows. Both are measured in the same run, in alternating rounds.
 */
export async function benchLandingScale({
  pool,
  log,
  rows = 30_000,
  batch = 500,
  prefilled = 5_000_000,
  history = true,
  rounds = 3,
}: {
  pool: Pool;
  log: Logger;
  rows?: number;
  batch?: number;
  prefilled?: number;
  /** Prefill the history table too (one entry per prefilled row), as a real base database has. */
  history?: boolean;
  rounds?: number;
}): Promise<void> {
  const person = (await loadSchemaFiles()).find((s) => s.dataset === 'base.natural_person');
  if (person === undefined) throw new Error('bench: no base.natural_person schema');
  const prefix = benchSchemaPrefix();
  const empty = landingTableOf(person, `${prefix}empty_`);
  const full = landingTableOf(person, `${prefix}full_`);
  // Distinct odd numbers: never a prefilled key, spread across the whole key range of the full table.
  const numbers = spreadOddNumbers(rows + batch, prefilled, 2024);
  const warmUp = numbers.slice(rows);
  try {
    await ensureLandingTables({ pool, table: empty });
    await ensureLandingTables({ pool, table: full });

    log.info({ prefilled }, 'bench: filling the landing table');
    const fillStarted = performance.now();
    await fill(pool, full, prefilled, history);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    // The fill leaves gigabytes of dirty pages; flushing them now keeps that cost out of the measurement.
    const checkpointStarted = performance.now();
    await pool
      .query('CHECKPOINT')
      .catch((err: unknown) => log.warn({ err: String(err) }, 'bench: CHECKPOINT refused; the full-table rate includes flushing the fill'));
    const checkpointSeconds = (performance.now() - checkpointStarted) / 1000;

    await land(pool, empty, warmUp, batch);
    await land(pool, full, warmUp, batch);
    // Alternating rounds, so that drift on the machine (the OS flushing the fill, say) hits both alike.
    const seconds = { empty: 0, full: 0 };
    const perRound = Math.ceil(rows / rounds);
    for (let from = 0; from < rows; from += perRound) {
      const slice = numbers.slice(from, Math.min(rows, from + perRound));
      seconds.empty += await land(pool, empty, slice, batch);
      seconds.full += await land(pool, full, slice, batch);
    }
    const emptyRate = rows / seconds.empty;
    const fullRate = rows / seconds.full;

    report({
      bench: 'landing.rows_per_sec_at_scale',
      rows_per_sec: round(fullRate),
      prefilled_rows: prefilled,
      prefilled_history_rows: history ? prefilled : 0,
      n: rows,
      batch,
      baseline:
        'the same landing (upsertCurrent + appendHistory per transaction, new keys, one connection) into an initially empty table, in alternating rounds',
      baseline_rows_per_sec: round(emptyRate),
      ratio: round(fullRate / emptyRate, 3),
      fill_seconds: round(fillSeconds, 1),
      fill: `INSERT ... SELECT generate_series inside Postgres on two connections, ${history ? 'current and history tables' : 'current table'}, then VACUUM (ANALYZE)`,
      checkpoint_seconds: round(checkpointSeconds, 1),
      table_mb: await sizeMb(pool, full.schema, full.table),
      history_mb: await sizeMb(pool, full.schema, full.history),
    });
  } finally {
    await dropBenchSchemas(pool, prefix);
  }
}
