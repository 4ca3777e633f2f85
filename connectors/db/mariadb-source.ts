import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { redactUrl } from '../../services/platform/config.ts';
import { type HubError, isNetworkError } from '../../services/platform/errors.ts';
import type { Logger } from '../../services/platform/logger.ts';
import type { ConnectorConfig } from './config.ts';
import { mariadbDialect, quoteTable } from './sql-dialect.ts';
import { openSqlSourceReader, sourceError, type SourceFailure, type SourceReader, type SqlExecutor } from './source-reader.ts';

const transientCodes = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ETIMEDOUT',
]);
const integerTypes = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

function isTransient(err: unknown): boolean {
  const e = err as { code?: unknown; fatal?: unknown };
  return e.fatal === true || (typeof e.code === 'string' && transientCodes.has(e.code)) || isNetworkError(err);
}

function classify(err: unknown): SourceFailure {
  const code = (err as { code?: unknown }).code;
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') return 'login';
  if (code === 'ER_BAD_DB_ERROR') return 'no-database';
  return isTransient(err) ? 'transient' : null;
}

export function mariadbError(err: unknown, url: string, what: string): HubError {
  return sourceError(err, { database: 'MariaDB', url, what, classify });
}

/**
 * A department's MariaDB (or MySQL) table, over one connection that is reopened after a failure.
 * DATETIME/TIMESTAMP come back as the server's strings (microseconds intact) and BIGINT/DECIMAL as
 * strings; the session zone is fixed, so TIMESTAMP text and cursor comparisons agree across
 * reconnects.
 */
export async function openMariadbSource({
  config,
  tieFields,
  log,
}: {
  config: ConnectorConfig;
  tieFields: readonly string[];
  log: Logger;
}): Promise<SourceReader> {
  const { url, table, timeZone } = config.source;
  const uri = new URL(url);
  uri.protocol = 'mysql:';
  let current: Connection | null = null;

  async function connection(): Promise<Connection> {
    if (current) return current;
    const c = await mysql.createConnection({ uri: uri.toString(), dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, connectTimeout: 10_000 });
    c.on('error', (err: unknown) => {
      log.warn({ err }, 'source connection failed');
      if (current === c) current = null;
    });
    await c.query('SET time_zone = ?', [timeZone]);
    current = c;
    return c;
  }

  async function run<T>(what: string, fn: (c: Connection) => Promise<T>): Promise<T> {
    try {
      return await fn(await connection());
    } catch (err) {
      if (isTransient(err) && current) {
        current.destroy();
        current = null;
      }
      throw mariadbError(err, url, what);
    }
  }

  const executor: SqlExecutor = {
    query: (sql, params) => run('read', async (c) => (await c.query<RowDataPacket[]>(sql, [...params]))[0] as Record<string, unknown>[]),
    columns: (t) =>
      run('describe the table', async (c) => {
        const [rows] = await c.query<RowDataPacket[]>(
          'SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
          [t.schema, t.name],
        );
        return rows.map((r) => ({ name: String(r.name), type: String(r.type).toLowerCase() }));
      }),
    async close() {
      const c = current;
      current = null;
      await c?.end().catch(() => c.destroy());
    },
  };
  try {
    return await openSqlSourceReader({
      dialect: mariadbDialect,
      executor,
      description: `${redactUrl(url)} table ${quoteTable(mariadbDialect, table)}`,
      table,
      mapping: config.mapping,
      cursor: config.source.cursor,
      where: config.source.where,
      tieFields,
      log,
      // An integer column compared with a string is compared as a double: bind integers exactly.
      param: (column, text) => (integerTypes.has(column.type) && /^-?\d+$/.test(text) ? BigInt(text) : text),
    });
  } catch (err) {
    await executor.close();
    throw err;
  }
}
