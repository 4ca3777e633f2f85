import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../services/platform/db/migrate.ts';
import { createTestDb, type TestDb } from '../../helpers/db.ts';
import { testLogger } from '../../helpers/logger.ts';

describe('migrations', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.cleanup());

  it('recorded every shipped migration in order, and a second run applies nothing', async () => {
    const { rows } = await db.pool.query<{ version: number }>('SELECT version FROM hub_migrations ORDER BY version');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.version)).toEqual([...rows.map((r) => r.version)].sort((a, b) => a - b));
    expect(await migrate({ pool: db.pool, log: testLogger() })).toEqual([]);
  });

  it('applies new files in order, rolls back a failing one, and refuses an edited one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-mig-'));
    await writeFile(join(dir, '9002_second.sql'), 'ALTER TABLE mig_probe ADD COLUMN b int;');
    await writeFile(join(dir, '9001_first.sql'), 'CREATE TABLE mig_probe (a int);');
    expect(await migrate({ pool: db.pool, log: testLogger(), dir })).toEqual([9001, 9002]);

    await writeFile(join(dir, '9003_broken.sql'), 'CREATE TABLE mig_half (a int); SELECT no_such_function();');
    await expect(migrate({ pool: db.pool, log: testLogger(), dir })).rejects.toThrow(/9003_broken failed/);
    const { rows } = await db.pool.query("SELECT to_regclass('mig_half') AS t");
    expect(rows[0].t).toBeNull();

    await writeFile(join(dir, '9003_broken.sql'), 'SELECT 1;');
    await writeFile(join(dir, '9001_first.sql'), 'CREATE TABLE mig_probe (a bigint);');
    await expect(migrate({ pool: db.pool, log: testLogger(), dir })).rejects.toThrow(/9001_first was changed/);
  });
});
