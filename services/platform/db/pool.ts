import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { HubError, errorMessage, isNetworkError } from '../errors.ts';
import { redactUrl } from '../config.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface DbOptions {
  url: string;
  /** Every connection works inside this Postgres schema (created if missing). */
  schema: string;
  poolMax: number;
  connectTimeoutMs: number;
  log: Logger;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A name for a statement prepared once per connection and reused (no parse or plan per call), for a
 * hot query whose text is built from identifiers: the same text always gets the same name.
 */
export function statementName(text: string): string {
  return `hub_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
}

export function quoteIdent(name: string): string {
  if (!identifier.test(name)) throw new HubError('HUB_ERR_CONFIG', `"${name}" is not a valid Postgres identifier`);
  return `"${name}"`;
}

function unreachable(url: string, err: unknown): HubError {
  return new HubError(
    'HUB_ERR_DB_UNAVAILABLE',
    `cannot reach Postgres at ${redactUrl(url)} (${errorMessage(err)}): start PostgreSQL or point DATABASE_URL at a running server`,
    { cause: err },
  );
}

async function createDatabase(url: string, log: Logger): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    log.info({ database: name }, 'created database');
  } catch (err) {
    // 42P04: it exists. 23505: another process created it at the same moment (pg_database's unique index).
    const code = (err as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw err;
  } finally {
    await client.end();
  }
}

/**
 * Opens the pool and proves it works. A missing database on this machine's server is created,
 * so `npm start` works from nothing; an unreachable server is one clear HubError.
 */
export async function openPool({ url, schema, poolMax, connectTimeoutMs, log }: DbOptions): Promise<Pool> {
  const make = () =>
    new pg.Pool({
      connectionString: url,
      max: poolMax,
      connectionTimeoutMillis: connectTimeoutMs,
      options: `-c search_path=${quoteIdent(schema)},public`,
      application_name: 'gov-data-hub',
    });
  let pool = make();
  pool.on('error', (err) => log.warn({ err }, 'idle Postgres connection failed'));
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if ((err as { code?: string }).code === '3D000') {
      try {
        await createDatabase(url, log);
      } catch (inner) {
        throw isNetworkError(inner)
          ? unreachable(url, inner)
          : new HubError('HUB_ERR_STARTUP', `cannot create the database of ${redactUrl(url)}: ${errorMessage(inner)}`);
      }
      pool = make();
      pool.on('error', (e) => log.warn({ err: e }, 'idle Postgres connection failed'));
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      return pool;
    }
    throw isNetworkError(err) || /timeout/i.test(errorMessage(err))
      ? unreachable(url, err)
      : new HubError('HUB_ERR_STARTUP', `Postgres at ${redactUrl(url)} refused the hub: ${errorMessage(err)}`, { cause: err });
  }
  return pool;
}

/** Runs fn in a transaction; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
