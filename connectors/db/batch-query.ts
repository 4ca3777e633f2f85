import type { CursorColumns } from './config.ts';
import type { Position } from './position.ts';
import { quoteTable, type SqlDialect, type TableName } from './sql-dialect.ts';

export interface BatchQuerySpec {
  dialect: SqlDialect;
  table: TableName;
  /** Dataset field → column; each column is selected under its field's name. */
  mapping: Readonly<Record<string, string>>;
  cursor: CursorColumns;
  where: string | null;
  /** Turns a cursor value (the database's text) into the parameter to bind, e.g. a BigInt for MariaDB integers. */
  param?: (which: 'updatedAt' | 'id', text: string) => unknown;
}

export interface BatchQuery {
  sql: string;
  params: unknown[];
}

/** Aliases of the cursor values in the result; dataset fields are snake_case, so they never clash. */
export const cursorAlias = { updatedAt: '__hub_cursor_updated_at', id: '__hub_cursor_id' } as const;

/**
 * The next rows after `position`, in cursor order:
 * - updatedAt + id: `u > $u OR (u = $u AND id > $id) ORDER BY u, id`, exact for ties;
 * - id only: `id > $id ORDER BY id` (inserts only);
 * - updatedAt only: `u >= $u ORDER BY u`, reading `seen.length` extra rows, since up to that many
 *   of the rows at exactly $u were published already and are skipped by the reader.
 * Rows whose cursor columns are NULL are never read (they have no place in the order).
 */
export function buildBatchQuery(spec: BatchQuerySpec, position: Position, limit: number): BatchQuery {
  const { dialect: d, cursor } = spec;
  const param = spec.param ?? ((_w, text) => text);
  const params: unknown[] = [];
  const bind = (which: 'updatedAt' | 'id', text: string) => {
    params.push(param(which, text));
    return d.placeholder(params.length);
  };
  const u = cursor.updatedAt === null ? null : d.quote(cursor.updatedAt);
  const id = cursor.id === null ? null : d.quote(cursor.id);

  const columns = Object.entries(spec.mapping).map(([field, column]) => `${d.quote(column)} AS ${d.quote(field)}`);
  if (u) columns.push(`${d.asText(u)} AS ${d.quote(cursorAlias.updatedAt)}`);
  if (id) columns.push(`${d.asText(id)} AS ${d.quote(cursorAlias.id)}`);

  const conditions: string[] = [];
  if (u) conditions.push(`${u} IS NOT NULL`);
  if (id) conditions.push(`${id} IS NOT NULL`);
  let extra = 0;
  if (u && id && position.updatedAt !== null && position.id !== null) {
    conditions.push(
      `(${u} > ${bind('updatedAt', position.updatedAt)} OR (${u} = ${bind('updatedAt', position.updatedAt)} AND ${id} > ${bind('id', position.id)}))`,
    );
  } else if (id && !u && position.id !== null) {
    conditions.push(`${id} > ${bind('id', position.id)}`);
  } else if (u && !id && position.updatedAt !== null) {
    conditions.push(`${u} >= ${bind('updatedAt', position.updatedAt)}`);
    extra = position.seen.length;
  }
  if (spec.where !== null) conditions.push(`(${spec.where})`);

  const order = [u, id].filter((c): c is string => c !== null).map((c) => `${c} ASC`);
  const sql = `SELECT ${columns.join(', ')} FROM ${quoteTable(d, spec.table)} WHERE ${conditions.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ${Math.trunc(limit + extra)}`;
  return { sql, params };
}
