import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { uniqueName } from '../helpers/kafka.ts';
import { hubBin, hubEnv } from '../helpers/spawn-hub.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

describe('a cleansing process killed mid-stream', () => {
  let t: TestApp;
  let psb: PrincipalCredentials;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    psb = await t.department('psb');
    await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name'] });
    const authority = await t.principal('authority');
    const { port } = t.app.server.address() as { port: number };
    env = hubEnv({
      DATABASE_SCHEMA: t.db.schema,
      HUB_LANDING_SCHEMA_PREFIX: `${t.db.schema}_`,
      REDIS_KEY_PREFIX: t.config.redis.keyPrefix,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}/registry`,
      SCHEMA_REGISTRY_USERNAME: authority.name,
      SCHEMA_REGISTRY_PASSWORD: authority.token,
      HUB_CLEANSING_GROUP: uniqueName('cleanse'),
      HUB_CLEANSING_CHUNK: '40',
      LOG_LEVEL: 'warn',
    });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await t.cleanup();
  });

  const count = async (sql: string) => Number((await t.db.pool.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  const history = () => `"${t.db.schema}_base".natural_person_history`;
  const current = () => `"${t.db.schema}_base".natural_person`;
  const landedSoFar = () => count(`SELECT count(*) AS n FROM ${history()}`).catch(() => 0);
  const cleanse = () => {
    const child = spawn(process.execPath, [hubBin, 'cleanse'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    children.push(child);
    return { child, err: () => err };
  };

  it('leaves Postgres with exactly the expected rows and history after SIGKILL and a restart', async () => {
    const people = 2400;
    const updates = 600;
    const records = [...Array.from({ length: people }, (_, n) => person(n)), ...Array.from({ length: updates }, (_, n) => person(n, { name: `更名${n}` }))];
    for (let i = 0; i < records.length; i += 500) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/datasets/base.natural_person/records',
        headers: t.auth(psb),
        payload: { records: records.slice(i, i + 500) },
      });
      expect(res.statusCode).toBe(200);
    }

    const first = cleanse();
    const midway = await waitFor(landedSoFar, (n) => n >= 400, 90_000, 50);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    expect(midway, first.err()).toBeGreaterThanOrEqual(400);
    const atKill = await landedSoFar();
    expect(atKill).toBeLessThan(records.length);

    const second = cleanse();
    const done = await waitFor(landedSoFar, (n) => n >= records.length, 120_000, 200);
    expect(done, second.err()).toBe(records.length);
    // Give a duplicate time to show up if there were going to be one.
    await new Promise((r) => setTimeout(r, 1500));
    second.child.kill('SIGTERM');
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code).toBe(0);

    expect(await count(`SELECT count(*) AS n FROM ${history()}`)).toBe(records.length);
    expect(await count(`SELECT count(*) AS n FROM (SELECT _topic, _partition, _offset FROM ${history()} GROUP BY 1, 2, 3 HAVING count(*) > 1) d`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM ${current()}`)).toBe(people);
    expect(await count(`SELECT count(*) AS n FROM ${current()} WHERE name LIKE '更名%'`)).toBe(updates);
    expect(await count(`SELECT count(*) AS n FROM ${current()} WHERE _version = 2`)).toBe(updates);
    const landed = (
      await t.db.pool.query<{ landed: string; records_in: string }>('SELECT landed, records_in FROM cleansing_counts WHERE provider = $1', [psb.name])
    ).rows[0];
    expect(landed).toEqual({ landed: String(records.length), records_in: String(records.length) });
  }, 300_000);
});
