import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { hubEnv, startHubProcess } from '../helpers/spawn-hub.ts';
import { testConfig } from '../helpers/config.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';
import { freePort } from '../../services/platform/net.ts';

const processesUsing = (dir: string) => {
  try {
    return execFileSync('pgrep', ['-f', dir]).toString().trim();
  } catch {
    return '';
  }
};

describe('the main job (`hub start`, as `npm start` runs it)', () => {
  const schema = `t_main_${randomBytes(4).toString('hex')}`;
  let stateDir = '';
  afterAll(async () => {
    const pool = new pg.Pool({ connectionString: testConfig().database.url });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('starts its own broker from nothing, serves, registers every schema, and stops everything on Ctrl-C', { timeout: 240_000 }, async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'hub-main-'));
    const port = await freePort();
    const hub = startHubProcess(
      hubEnv({
        KAFKA_BROKERS: undefined,
        KAFKA_USERNAME: undefined,
        KAFKA_PASSWORD: undefined,
        HUB_STATE_DIR: stateDir,
        HUB_PORT: String(port),
        KAFKA_LOCAL_PORT: String(await freePort()),
        KAFKA_LOCAL_CONTROLLER_PORT: String(await freePort()),
        DATABASE_SCHEMA: schema,
        REDIS_KEY_PREFIX: `hub-test:${schema}:`,
        LOG_LEVEL: 'info',
      }),
    );
    try {
      await hub.waitFor(/Press Ctrl-C to stop/, 150_000);
      const base = `http://127.0.0.1:${port}`;
      expect(hub.output()).toContain(`Registry  ${base}/registry`);

      const secretsFile = join(stateDir, 'secrets.json');
      expect((await stat(secretsFile)).mode & 0o077).toBe(0);
      const secrets = JSON.parse(await readFile(secretsFile, 'utf8')) as { serviceToken: string };

      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true }, kafka: { ok: true } } });
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      expect((await fetch(`${base}/docs/json`)).status).toBe(200);
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('hub_http_requests_total');
      expect((await fetch(`${base}/api/v1/whoami`)).status).toBe(401);
      expect((await fetch(`${base}/registry/subjects`)).status).toBe(401);

      const subjects = (await (
        await fetch(`${base}/registry/subjects`, {
          headers: { authorization: `Basic ${Buffer.from(`hub-system:${secrets.serviceToken}`).toString('base64')}` },
        })
      ).json()) as string[];
      const datasets = await loadSchemaFiles();
      expect(subjects.length).toBeGreaterThanOrEqual(datasets.length);
      expect(subjects).toContain('gov.hub.base.NaturalPerson');
      expect(processesUsing(stateDir)).not.toBe('');
    } finally {
      hub.child.kill('SIGINT');
      const [code] = (await once(hub.child, 'exit')) as [number | null];
      expect(code).toBe(0);
    }
    expect(processesUsing(stateDir)).toBe('');
  });
});
