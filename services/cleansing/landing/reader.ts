import { quoteIdent, statementName, type Pool, type PoolClient } from '../../platform/db/pool.ts';
import { unpackLineage, type StoredLineage } from './lineage.ts';
import { fromColumnSql, fromWire, type ColumnKind } from './column-types.ts';
import type { LandingTable } from './tables.ts';

export interface CurrentState {
  key: string;
  values: Record<string, unknown>;
}

/**
 * Reads of the landed current state for other areas (sharing's backfill and verification): they
 * call these, never the landing tables' SQL.
 */

/**
 * The merged clean state of a dataset, in key order, a page at a time, with Avro-style values (as
 * on the clean topic). Only columns the table has: a field added by a schema the cleansing service
 * has not landed yet reads as null. No table yet (nothing landed) reads as nothing.
 */
export async function* readCurrentState(pool: Pool, table: LandingTable, pageSize = 1000): AsyncGenerator<CurrentState[]> {
  const { rows: existing } = await pool.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
    [table.schema, table.table],
  );
  if (existing.length === 0) return;
  const have = new Set(existing.map((r) => r.column_name));
  const columns = table.columns.filter((c) => have.has(c.column));
  const select = columns.map((c) => `${fromColumnSql(c.kind, `t.${quoteIdent(c.column)}`)} AS ${quoteIdent(c.column)}`);
  const from = `${quoteIdent(table.schema)}.${quoteIdent(table.table)} t`;
  const text = `SELECT t._key${select.map((s) => `, ${s}`).join('')} FROM ${from} WHERE t._key > $1 ORDER BY t._key LIMIT $2`;
  let after = '';
  for (;;) {
    const { rows } = await pool.query<Record<string, unknown>>(text, [after, pageSize]);
    if (rows.length === 0) return;
    yield rows.map((r) => {
      const key = r._key as string;
      const values: Record<string, unknown> = {};
      for (const c of columns) values[c.field] = fromWire(c.kind, r[c.column], `${table.dataset} key ${key}, field "${c.field}"`);
      return { key, values };
    });
    after = rows[rows.length - 1]!._key as string;
    if (rows.length < pageSize) return;
  }
}

/**
 * One landed row's columns by business key, in the column's wire form (a long as text), or
 * undefined when the key, or the whole table (nothing landed yet), is not there.
 */
export async function readLandedColumns(
  pool: Pool,
  table: LandingTable,
  key: string,
  columns: readonly { column: string; kind: ColumnKind }[],
): Promise<Record<string, unknown> | undefined> {
  const text = `SELECT ${columns.map((c) => `${fromColumnSql(c.kind, `t.${quoteIdent(c.column)}`)} AS ${quoteIdent(c.column)}`).join(', ')}
    FROM ${quoteIdent(table.schema)}.${quoteIdent(table.table)} t WHERE t._key = $1`;
  try {
    return (await pool.query<Record<string, unknown>>({ name: statementName(text), text, values: [key] })).rows[0];
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return undefined;
    throw err;
  }
}

export interface KeyHistoryEntry {
  provider: string;
  topic: string;
  partition: number;
  offset: string;
  recordId: string | null;
  change: string;
  landedAt: string;
  findings: unknown;
}

/** A key's landed state with each field's lineage, and its newest history rows: a steward's side-by-side view. */
export async function readKeyDetail(
  pool: Pool,
  table: LandingTable,
  key: string,
  historyLimit = 20,
): Promise<{ current: { values: Record<string, unknown>; lineage: Record<string, unknown> } | null; history: KeyHistoryEntry[] }> {
  const from = (name: string) => `${quoteIdent(table.schema)}.${quoteIdent(name)}`;
  try {
    const { rows } = await pool.query<Record<string, unknown>>(`SELECT t.* FROM ${from(table.table)} t WHERE t._key = $1`, [key]);
    const row = rows[0];
    const history = await pool.query<{
      _provider: string;
      _topic: string;
      _partition: number;
      _offset: string;
      _record_id: string | null;
      _change: string;
      _landed_at: Date;
      _findings: unknown;
    }>(
      `SELECT _provider, _topic, _partition, _offset::text AS _offset, _record_id, _change, _landed_at, _findings
         FROM ${from(table.history)} WHERE _key = $1 ORDER BY _landed_at DESC LIMIT $2`,
      [key, historyLimit],
    );
    let current: { values: Record<string, unknown>; lineage: Record<string, unknown> } | null = null;
    if (row) {
      const values: Record<string, unknown> = {};
      for (const c of table.columns) values[c.field] = row[c.column] ?? null;
      current = { values, lineage: unpackLineage<Record<string, unknown>>(row._lineage as StoredLineage) };
    }
    return {
      current,
      history: history.rows.map((h) => ({
        provider: h._provider,
        topic: h._topic,
        partition: h._partition,
        offset: h._offset,
        recordId: h._record_id,
        change: h._change,
        landedAt: h._landed_at.toISOString(),
        findings: h._findings,
      })),
    };
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return { current: null, history: [] };
    throw err;
  }
}

/** The first record a provider landed for a key after `since` (not quarantined), or null: what closes a correction request. */
export async function firstLandedSince(
  pool: Pool,
  table: LandingTable,
  { key, provider, since }: { key: string; provider: string; since: Date },
): Promise<{ topic: string; partition: number; offset: string; landedAt: string } | null> {
  try {
    const { rows } = await pool.query<{ _topic: string; _partition: number; _offset: string; _landed_at: Date }>(
      `SELECT _topic, _partition, _offset::text AS _offset, _landed_at FROM ${quoteIdent(table.schema)}.${quoteIdent(table.history)}
        WHERE _key = $1 AND _provider = $2 AND _landed_at > $3 AND _change <> 'quarantined'
          AND (_record_id IS NULL OR _record_id NOT LIKE 'override:%') ORDER BY _landed_at LIMIT 1`,
      [key, provider, since],
    );
    const r = rows[0];
    return r ? { topic: r._topic, partition: r._partition, offset: r._offset, landedAt: r._landed_at.toISOString() } : null;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return null;
    throw err;
  }
}

/**
 * The value a provider last sent for a field of a key: its newest landed record with a value there
 * (not quarantined, not a steward's override), Avro-style as in a quality alert; undefined if none.
 */
export async function lastValueFrom(
  db: Pool | PoolClient,
  table: LandingTable,
  { key, provider, field }: { key: string; provider: string; field: string },
): Promise<unknown> {
  const c = table.columns.find((x) => x.field === field);
  if (!c) return undefined;
  const column = `t.${quoteIdent(c.column)}`;
  const { rows } = await db.query<{ v: unknown }>(
    `SELECT ${fromColumnSql(c.kind, column)} AS v FROM ${quoteIdent(table.schema)}.${quoteIdent(table.history)} t
      WHERE t._key = $1 AND t._provider = $2 AND t._change <> 'quarantined' AND ${column} IS NOT NULL
        AND (t._record_id IS NULL OR t._record_id NOT LIKE 'override:%') ORDER BY t._history_id DESC LIMIT 1`,
    [key, provider],
  );
  return rows[0] ? fromWire(c.kind, rows[0].v, `${table.dataset} key ${key}, field "${field}"`) : undefined;
}

/** Records each provider landed (quarantined ones apart) in [from, to), from the history table. */
export async function landedByProvider(pool: Pool, table: LandingTable, from: Date, to: Date): Promise<Map<string, { landed: number; quarantined: number }>> {
  try {
    const { rows } = await pool.query<{ provider: string; landed: string; quarantined: string }>(
      `SELECT _provider AS provider, count(*) FILTER (WHERE _change <> 'quarantined') AS landed, count(*) FILTER (WHERE _change = 'quarantined') AS quarantined
         FROM ${quoteIdent(table.schema)}.${quoteIdent(table.history)} WHERE _landed_at >= $1 AND _landed_at < $2 GROUP BY _provider`,
      [from, to],
    );
    return new Map(rows.map((r) => [r.provider, { landed: Number(r.landed), quarantined: Number(r.quarantined) }]));
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return new Map();
    throw err;
  }
}

/**
 * What a dataset's landed state is at: row count and last change. Equal marks mean nothing was
 * landed in between (landing only inserts and updates). No table yet reads as "0:".
 */
export async function landedMark(pool: Pool, table: LandingTable): Promise<string> {
  try {
    const { rows } = await pool.query<{ n: string; last: string | null }>(
      `SELECT count(*)::text AS n, max(_updated_at)::text AS last FROM ${quoteIdent(table.schema)}.${quoteIdent(table.table)}`,
    );
    return `${rows[0]?.n ?? '0'}:${rows[0]?.last ?? ''}`;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return '0:';
    throw err;
  }
}
