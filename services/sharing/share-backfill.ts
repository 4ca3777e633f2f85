import { quoteIdent, type Pool } from '../platform/db/pool.ts';
import { fromColumnSql, fromWire } from '../cleansing/landing/column-types.ts';
import type { LandingTable } from '../cleansing/landing/tables.ts';

export interface CurrentState {
  key: string;
  values: Record<string, unknown>;
}

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
