import { HubError, errorMessage } from '../../services/platform/errors.ts';
import { redactUrl } from '../../services/platform/config.ts';
import type { Logger } from '../../services/platform/logger.ts';
import type { CursorColumns } from './config.ts';
import { buildBatchQuery, cursorAlias, type BatchQuerySpec } from './batch-query.ts';
import type { Position, SourceRow } from './position.ts';
import { quoteTable, type SqlDialect, type TableName } from './sql-dialect.ts';

/** Reads a department's table incrementally; one implementation per database kind. */
export interface SourceReader {
  /** e.g. `postgres://app@10.0.0.5/registry table people` (password redacted), for logs. */
  readonly description: string;
  /** Up to `limit` rows after `position`, in cursor order, none of them already published. */
  readBatch(position: Position, limit: number): Promise<SourceRow[]>;
  close(): Promise<void>;
}

export interface ColumnInfo {
  name: string;
  /** The database's type name, lowercase (e.g. 'bigint', 'timestamp with time zone', 'datetime'). */
  type: string;
}

/** What a database kind provides: queries that throw HubErrors (retryable when transient). */
export interface SqlExecutor {
  query(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** The table's columns; empty when there is no such table. */
  columns(table: TableName): Promise<ColumnInfo[]>;
  close(): Promise<void>;
}

export interface SqlSourceOptions {
  dialect: SqlDialect;
  executor: SqlExecutor;
  description: string;
  table: TableName;
  mapping: Readonly<Record<string, string>>;
  cursor: CursorColumns;
  where: string | null;
  /** Dataset fields whose values identify a row among rows sharing one updatedAt (the business key). */
  tieFields: readonly string[];
  /** Cursor text → query parameter, given the cursor column's type. */
  param?: (column: ColumnInfo, text: string) => unknown;
  log: Logger;
}

function textOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function cursorText(row: Record<string, unknown>, alias: string): string | null {
  const v = row[alias];
  return v === null || v === undefined ? null : textOf(v);
}

/**
 * Checks the table and columns the config names (so a typo is one clear error at start, not a
 * failed poll), runs the batch query once with LIMIT 0 (so a bad `where` fails now too), and
 * returns the reader.
 */
export async function openSqlSourceReader(options: SqlSourceOptions): Promise<SourceReader> {
  const { dialect, executor, description, table, mapping, cursor, tieFields } = options;
  const columns = await executor.columns(table);
  const tableName = quoteTable(dialect, table);
  if (columns.length === 0) throw new HubError('HUB_ERR_CONFIG', `source.table: no ${description} (or its user may not see it)`);
  const find = (name: string) => columns.find((c) => dialect.sameColumn(c.name, name));
  const known = columns.map((c) => c.name).join(', ');
  const problems: string[] = [];
  for (const [field, column] of Object.entries(mapping))
    if (!find(column)) problems.push(`mapping.${field}: no column "${column}" in ${tableName} (columns: ${known})`);
  const cursorColumns: Partial<Record<'updatedAt' | 'id', ColumnInfo>> = {};
  for (const which of ['updatedAt', 'id'] as const) {
    const name = cursor[which];
    if (name === null) continue;
    const info = find(name);
    if (info) cursorColumns[which] = info;
    else problems.push(`source.cursor.${which}: no column "${name}" in ${tableName} (columns: ${known})`);
  }
  if (problems.length > 0) throw new HubError('HUB_ERR_CONFIG', problems.join('; '));

  const spec: BatchQuerySpec = {
    dialect,
    table,
    mapping,
    cursor,
    where: options.where,
    param: (which, text) => {
      const column = cursorColumns[which];
      return column && options.param ? options.param(column, text) : text;
    },
  };
  const probe = buildBatchQuery(spec, { updatedAt: null, id: null, seen: [] }, 0);
  try {
    await executor.query(probe.sql, probe.params);
  } catch (err) {
    if (err instanceof HubError && err.retryable) throw err;
    throw new HubError(
      'HUB_ERR_CONFIG',
      `the source query fails on ${description}${options.where === null ? '' : ' (check source.where)'}: ${errorMessage(err)}`,
      { cause: err },
    );
  }

  // Rows without cursor values have no place in the order and are never read: say so rather than skip them silently.
  const nullable = [cursor.updatedAt, cursor.id].filter((c): c is string => c !== null).map((c) => `${dialect.quote(c)} IS NULL`);
  const extra = options.where === null ? '' : ` AND (${options.where})`;
  const [counted] = await executor.query(`SELECT COUNT(*) AS n FROM ${tableName} WHERE (${nullable.join(' OR ')})${extra}`, []);
  const unreadable = Number(counted?.n ?? 0);
  if (unreadable > 0) options.log.warn({ rows: unreadable, table: tableName }, 'rows with a NULL cursor column are never read: give them a value');

  const tieOnly = cursor.id === null;
  return {
    description,
    async readBatch(position, limit) {
      const { sql, params } = buildBatchQuery(spec, position, limit);
      const result = await executor.query(sql, params);
      const seen = tieOnly && position.updatedAt !== null ? new Set(position.seen) : null;
      const rows: SourceRow[] = [];
      for (const raw of result) {
        const values: Record<string, unknown> = {};
        for (const field of Object.keys(mapping)) values[field] = raw[field];
        const row: SourceRow = {
          values,
          cursor: { updatedAt: cursorText(raw, cursorAlias.updatedAt), id: cursorText(raw, cursorAlias.id) },
          tieKey: JSON.stringify(tieFields.map((f) => textOf(values[f]))),
        };
        if (seen && row.cursor.updatedAt === position.updatedAt && seen.has(row.tieKey)) continue;
        rows.push(row);
        if (rows.length === limit) break;
      }
      return rows;
    },
    close: () => executor.close(),
  };
}

/** How a driver's error reads: a refused login, a missing database, worth retrying, or none of these. */
export type SourceFailure = 'login' | 'no-database' | 'transient' | null;

/** A source database's failure as a HubError: configuration problems and outages said plainly, the rest internal. */
export function sourceError(err: unknown, opts: { database: string; url: string; what: string; classify: (err: unknown) => SourceFailure }): HubError {
  if (err instanceof HubError) return err;
  const where = `${opts.database} source at ${redactUrl(opts.url)}`;
  switch (opts.classify(err)) {
    case 'login':
      return new HubError('HUB_ERR_CONFIG', `the ${where} refused the login (${errorMessage(err)}): check the user and password in source.url`, { cause: err });
    case 'no-database':
      return new HubError('HUB_ERR_CONFIG', `the ${where} has no such database (${errorMessage(err)}): check source.url`, { cause: err });
    case 'transient':
      return new HubError('HUB_ERR_DB_UNAVAILABLE', `cannot reach the ${where} to ${opts.what} (${errorMessage(err)}): start the database or fix source.url`, {
        cause: err,
      });
    default:
      return new HubError('HUB_ERR_INTERNAL', `the ${where} failed to ${opts.what}: ${errorMessage(err)}`, { cause: err });
  }
}
