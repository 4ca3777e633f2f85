import { quoteIdent, type Pool } from '../../platform/db/pool.ts';
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
    return (await pool.query<Record<string, unknown>>(text, [key])).rows[0];
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return undefined;
    throw err;
  }
}
