import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { testConfig } from '../helpers/config.ts';
import { testConnection } from '../helpers/kafka.ts';
import { testLogger } from '../helpers/logger.ts';
import { openPool, type Pool } from '../../services/platform/db/pool.ts';
import { ensureAppRole } from '../../services/platform/db/roles.ts';
import { createAuditLog } from '../../services/audit/log.ts';
import { buildApp } from '../../services/hub/build-app.ts';
import { servicePrincipalName } from '../../services/hub/topology.ts';
import { newToken } from '../../services/platform/crypto.ts';

/** The hub's requests run as a Postgres role that can add to the audit trail but never rewrite it. */
describe('the application role', () => {
  let db: TestDb;
  let app: Pool;
  const role = 'hub_app_test';

  beforeAll(async () => {
    db = await createTestDb();
    await ensureAppRole(db.pool, { role, password: 'app-role-test', schema: db.schema, landingSchemas: [] });
    const config = testConfig();
    const url = new URL(config.database.url);
    url.username = role;
    url.password = 'app-role-test';
    app = await openPool({ ...config.database, url: url.toString(), schema: db.schema, log: testLogger() });
  });
  afterAll(async () => {
    await app?.end();
    for (const r of [role, 'hub_app_test_start']) {
      await db.pool.query(`DROP OWNED BY ${r}`).catch(() => undefined);
      await db.pool.query(`DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
    }
    await db?.cleanup();
  });

  it('appends and reads the audit trail, but cannot update, delete, truncate or switch off its trigger', async () => {
    expect((await app.query<{ su: string }>("SELECT current_setting('is_superuser') AS su")).rows[0]?.su).toBe('off');
    const audit = createAuditLog({ pool: app });
    await audit.append(app, { actor: 'alice', actorRole: 'authority', action: 'test.appended', method: 'api' });
    expect((await audit.list({ action: 'test.appended' })).records).toHaveLength(1);
    for (const sql of ["UPDATE audit_log SET actor = 'mallory'", 'DELETE FROM audit_log', 'TRUNCATE audit_log', 'ALTER TABLE audit_log DISABLE TRIGGER ALL']) {
      const err = await app.query(sql).then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      expect(err?.code, sql).toMatch(/^(42501)$/);
    }
    expect((await audit.verify()).ok).toBe(true);
  });

  it('is what the hub connects as when it opens Postgres itself', async () => {
    const config = testConfig({ DATABASE_SCHEMA: db.schema, DATABASE_APP_ROLE: 'hub_app_test_start', HUB_LANDING_SCHEMA_PREFIX: `${db.schema}_` });
    const hub = await buildApp(config, { log: testLogger(), kafka: testConnection(), service: { name: servicePrincipalName, token: newToken() } });
    try {
      expect((await hub.db.query<{ who: string }>('SELECT current_user AS who')).rows[0]?.who).toBe('hub_app_test_start');
      const denied = await hub.db.query("UPDATE audit_log SET actor = 'x'").then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
      expect(denied?.code).toBe('42501');
    } finally {
      await hub.close();
    }
  });
});
