import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { hubEnv, runHub } from '../helpers/spawn-hub.ts';
import { withTransaction } from '../../services/platform/db/pool.ts';
import { createAuditLog } from '../../services/audit/log.ts';

describe('hub audit verify', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
    const audit = createAuditLog({ pool: db.pool });
    for (const action of ['application.submitted', 'application.approved', 'grant.created']) {
      await audit.append(db.pool, { actor: 'alice', actorRole: 'authority', action, method: 'api', subjectProvider: 'psb', purpose: '低保资格核验' });
    }
  });
  afterAll(async () => db.cleanup());

  it('exits 0 on an intact chain', async () => {
    const result = await runHub(['audit', 'verify'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^audit trail intact: 3 rows, head 3 [0-9a-f]{64}\n$/);

    const json = await runHub(['audit', 'verify', '--json'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, checked: 3, problems: [] });
  });

  it('exports the trail as NDJSON, oldest first, within --from and --to', async () => {
    const all = await runHub(['audit', 'export'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(all.code).toBe(0);
    const rows = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; action: string; hash: string });
    expect(rows.map((r) => `${r.seq}:${r.action}`)).toEqual(['1:application.submitted', '2:application.approved', '3:grant.created']);
    expect(all.stderr).toBe('hub: exported 3 audit rows\n');
    const none = await runHub(['audit', 'export', '--to', '2000-01-01T00:00:00Z'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(none.stdout).toBe('');
    const bad = await runHub(['audit', 'export', '--from', 'yesterday'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from must be an ISO date-time/);
  });

  it('rejects an unknown action in one line with exit code 2', async () => {
    const result = await runHub(['audit', 'check'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('hub: usage: hub audit verify [--json] | hub audit export [--from ISO] [--to ISO]\n');
  });

  it('exits 1 with one line per problem after a row was altered in Postgres', async () => {
    await withTransaction(db.pool, async (c) => {
      await c.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await c.query("UPDATE audit_log SET approver = 'mallory' WHERE seq = 2");
      await c.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    });
    const result = await runHub(['audit', 'verify'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('seq 2: hash does not match the row content: the row was changed\n');
    expect(result.stderr).toBe('hub: the audit trail is broken: 1 problem(s) in 3 rows\n');

    const json = await runHub(['audit', 'verify', '--json'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, checked: 3, problems: [{ seq: 2 }] });
  });
});
