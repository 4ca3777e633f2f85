import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import type { Pool } from './pool.ts';
import { HubError } from '../errors.ts';

export const defaultMigrationsDir = fileURLToPath(new URL('../../../ops/db/migrations/', import.meta.url));

interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const m = /^(\d+)_([a-z0-9_-]+)\.sql$/.exec(file);
    if (!m) throw new HubError('HUB_ERR_CONFIG', `migration file ${file} must be named NNNN_name.sql`);
    const sql = await readFile(join(dir, file), 'utf8');
    out.push({ version: Number(m[1]), name: m[2] as string, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

// Any fixed number works; it only has to be the same for every hub instance.
const migrationLock = 727_001;

/**
 * Applies pending migrations in order, each in its own transaction, recorded in hub_migrations.
 * An advisory lock lets several hub instances start at once. A changed, already-applied file is an error.
 */
export async function migrate({ pool, log, dir = defaultMigrationsDir }: { pool: Pool; log: Logger; dir?: string }): Promise<number[]> {
  const migrations = await readMigrations(dir);
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [migrationLock]);
    await client.query(`CREATE TABLE IF NOT EXISTS hub_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; checksum: string }>('SELECT version, checksum FROM hub_migrations');
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    for (const m of migrations) {
      const seen = done.get(m.version);
      if (seen !== undefined) {
        if (seen !== m.checksum)
          throw new HubError('HUB_ERR_STARTUP', `migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO hub_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new HubError('HUB_ERR_STARTUP', `migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
      log.info({ version: m.version, name: m.name }, 'applied migration');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [migrationLock]).catch(() => undefined);
    client.release();
  }
  return applied;
}
