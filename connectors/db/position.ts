import { HubError } from '../../services/platform/errors.ts';
import type { CursorColumns } from './config.ts';
import type { TableName } from './sql-dialect.ts';

/**
 * Where a connector is in its table. Cursor values are the database's own text of the last row's
 * columns (e.g. '2024-05-01 08:30:00.123456'), never a JS Date: they go back as query parameters
 * and compare exactly, microseconds and all.
 */
export interface Position {
  readonly updatedAt: string | null;
  readonly id: string | null;
  /**
   * Only with an updatedAt cursor and no id: the keys of the rows already published whose updatedAt
   * is exactly `updatedAt`, so the next `>=` read skips them.
   */
  readonly seen: readonly string[];
}

export const startPosition: Position = { updatedAt: null, id: null, seen: [] };

/** One row as read: its mapped values, its cursor values as text, and its key among ties. */
export interface SourceRow {
  readonly values: Readonly<Record<string, unknown>>;
  readonly cursor: { readonly updatedAt: string | null; readonly id: string | null };
  readonly tieKey: string;
}

/** Past this many rows sharing one updatedAt value (and no id cursor), the position would not fit a Kafka record. */
export const maxSeenKeys = 20_000;

/** The position after publishing `rows` (read from `position`, in cursor order). */
export function advancePosition(position: Position, rows: readonly SourceRow[], cursor: CursorColumns): Position {
  const last = rows.at(-1);
  if (last === undefined) return position;
  if (cursor.id !== null) return { updatedAt: last.cursor.updatedAt, id: last.cursor.id, seen: [] };
  const at = last.cursor.updatedAt;
  const tied = rows.filter((r) => r.cursor.updatedAt === at).map((r) => r.tieKey);
  const seen = at === position.updatedAt ? [...position.seen, ...tied] : tied;
  if (seen.length > maxSeenKeys) {
    throw new HubError(
      'HUB_ERR_CONFIG',
      `more than ${maxSeenKeys} rows share updated-at ${at}: without a unique id cursor the connector cannot track them; add source.cursor.id (a unique, increasing column)`,
    );
  }
  return { updatedAt: at, id: null, seen };
}

/** The record kept in the offsets topic, keyed by connector id. */
export interface StoredPosition {
  readonly connector: string;
  /** What the position is a position in: a changed table or cursor cannot reuse it. */
  readonly table: string;
  readonly cursor: CursorColumns;
  readonly position: Position;
  readonly committedAt: string;
}

export function tableText(table: TableName): string {
  return table.schema === null ? table.name : `${table.schema}.${table.name}`;
}

export function storedPosition({
  connector,
  table,
  cursor,
  position,
}: {
  connector: string;
  table: TableName;
  cursor: CursorColumns;
  position: Position;
}): StoredPosition {
  return { connector, table: tableText(table), cursor, position, committedAt: new Date().toISOString() };
}

function isTextOrNull(v: unknown): v is string | null {
  return v === null || typeof v === 'string';
}

/** Parses a stored position and checks it belongs to this table and cursor. */
export function readStoredPosition(json: unknown, expected: { connector: string; table: TableName; cursor: CursorColumns }): Position {
  const s = json as Partial<StoredPosition> | null;
  const p = s?.position as Partial<Position> | undefined;
  if (!s || !p || !isTextOrNull(p.updatedAt) || !isTextOrNull(p.id) || !Array.isArray(p.seen) || !s.cursor) {
    throw new HubError('HUB_ERR_STARTUP', `the stored position of connector ${expected.connector} is unreadable: ${JSON.stringify(json).slice(0, 200)}`);
  }
  const table = tableText(expected.table);
  if (s.table !== table || s.cursor.updatedAt !== expected.cursor.updatedAt || s.cursor.id !== expected.cursor.id) {
    const was = `${s.table} by ${JSON.stringify(s.cursor)}`;
    const now = `${table} by ${JSON.stringify(expected.cursor)}`;
    throw new HubError(
      'HUB_ERR_CONFIG',
      `connector ${expected.connector} has a position in ${was}, but its config now reads ${now}: give the connector a new id to read the table from the start`,
    );
  }
  return { updatedAt: p.updatedAt, id: p.id, seen: p.seen.map(String) };
}
