import pg from 'pg';
import { redactUrl } from '../../services/platform/config.ts';
import { type HubError, errorMessage, isNetworkError } from '../../services/platform/errors.ts';
import type { Logger } from '../../services/platform/logger.ts';
import type { ConnectorConfig } from './config.ts';
import { postgresDialect, quoteTable } from './sql-dialect.ts';
import { openSqlSourceReader, sourceError, type SourceFailure, type SourceReader, type SqlExecutor } from './source-reader.ts';

// Dates and times stay the server's text: a JS Date would drop microseconds and guess a zone.
const textTypes = new Set([
  pg.types.builtins.DATE,
  pg.types.builtins.TIMESTAMP,
  pg.types.builtins.TIMESTAMPTZ,
  pg.types.builtins.TIME,
  pg.types.builtins.TIMETZ,
]);
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    textTypes.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

const transientCodes = new Set(['57P01', '57P02', '57P03', '40001', '40P01', '55P03', '53300']);

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || transientCodes.has(code))) return true;
  return isNetworkError(err) || /connection terminated|timeout|not queryable/i.test(errorMessage(err));
}

function classify(err: unknown): SourceFailure {
  const code = (err as { code?: unknown }).code;
  if (code === '28P01' || code === '28000') return 'login';
  if (code === '3D000') return 'no-database';
  return isTransient(err) ? 'transient' : null;
}

export function postgresError(err: unknown, url: string, what: string): HubError {
  return sourceError(err, { database: 'Postgres', url, what, classify });
}

/** A department's Postgres table. One connection: the connector runs one query at a time. */
export async function openPostgresSource({
  config,
  tieFields,
  log,
}: {
  config: ConnectorConfig;
  tieFields: readonly string[];
  log: Logger;
}): Promise<SourceReader> {
  const { url, table } = config.source;
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: 10_000,
    application_name: `hub-connector-${config.id}`,
    // Times come back as ISO text, zoned ones in UTC with an explicit offset; the cursor text stays exact either way.
    options: '-c TimeZone=UTC -c DateStyle=ISO,YMD',
    types,
  });
  pool.on('error', (err) => log.warn({ err }, 'idle source connection failed'));
  const executor: SqlExecutor = {
    async query(sql, params) {
      try {
        return (await pool.query(sql, [...params])).rows as Record<string, unknown>[];
      } catch (err) {
        throw postgresError(err, url, 'read');
      }
    },
    async columns(t) {
      const sql =
        'SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum';
      try {
        const { rows } = await pool.query<{ name: string; type: string }>(sql, [quoteTable(postgresDialect, t)]);
        return rows.map((r) => ({ name: r.name, type: r.type.toLowerCase() }));
      } catch (err) {
        throw postgresError(err, url, 'describe the table');
      }
    },
    close: () => pool.end(),
  };
  try {
    return await openSqlSourceReader({
      dialect: postgresDialect,
      executor,
      description: `${redactUrl(url)} table ${quoteTable(postgresDialect, table)}`,
      table,
      mapping: config.mapping,
      cursor: config.source.cursor,
      where: config.source.where,
      tieFields,
      log,
    });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
