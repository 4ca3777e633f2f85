import { randomBytes } from 'node:crypto';
import { openPool, quoteIdent, type Pool } from '../../services/platform/db/pool.ts';
import { migrate } from '../../services/platform/db/migrate.ts';
import { testConfig } from './config.ts';
import { testLogger } from './logger.ts';

export interface TestDb {
  pool: Pool;
  schema: string;
  cleanup(): Promise<void>;
}

/** A fresh Postgres schema with every migration applied, dropped again by cleanup(). */
export async function createTestDb(): Promise<TestDb> {
  const config = testConfig();
  const schema = `t_${randomBytes(5).toString('hex')}`;
  const pool = await openPool({ ...config.database, schema, log: testLogger() });
  await migrate({ pool, log: testLogger() });
  return {
    pool,
    schema,
    async cleanup() {
      await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      await pool.end();
    },
  };
}
