import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubBin } from '../helpers/spawn-hub.ts';
import { countByKey, createHub, createPostgresSource, readAll, type Department, type Hub } from './harness.ts';
import { readEnvironment } from '../../services/platform/config.ts';

interface Child {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(test: (stderr: string) => boolean, timeoutMs: number): Promise<void>;
}

function startConnector(configPath: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [hubBin, 'connector', 'run', configPath], {
    env: { PATH: readEnvironment().PATH ?? '/usr/bin:/bin', HOME: readEnvironment().HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => stderr,
    exited,
    waitFor: (test, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!test(stderr)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`connector did not get there within ${timeoutMs} ms; stderr:\n${stderr.slice(-3000)}`));
        }, timeoutMs);
        void exited.then((code) => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`connector exited with ${code}; stderr:\n${stderr.slice(-3000)}`));
          }
        });
        listeners.add(check);
        check();
      }),
  };
}

const published = (stderr: string) => stderr.split('\n').filter((l) => l.includes('"msg":"published batch"')).length;

describe('a connector process killed mid-stream and restarted', () => {
  let hub: Hub;
  let src: Awaited<ReturnType<typeof createPostgresSource>>;
  let dir: string;
  let dept: Department;
  beforeAll(async () => {
    [hub, src, dir] = await Promise.all([createHub(), createPostgresSource(), mkdtemp(join(tmpdir(), 'hub-connector-'))]);
    dept = await hub.department();
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    await src?.cleanup();
    await hub?.cleanup();
  });

  it('publishes every row exactly once (read_committed), with no loss and no duplicate', async () => {
    const total = 3000;
    await src.pool.query(`CREATE TABLE "${src.schema}".crash (row_id bigserial PRIMARY KEY, code text NOT NULL, name text, modified timestamp(6) NOT NULL)`);
    // Ten rows share each updated-at value, inserted in random order.
    await src.pool.query(
      `INSERT INTO "${src.schema}".crash (code, name, modified)
       SELECT 'c-' || i, 'row ' || i, timestamp '2024-01-01 00:00:00.000001' + (i / 10) * interval '1 second' FROM generate_series(1, ${total}) i ORDER BY random()`,
    );
    const configPath = join(dir, 'crash.json');
    await writeFile(
      configPath,
      JSON.stringify({
        id: 'crash',
        department: dept.name,
        dataset: 'base.connector_probe',
        source: { kind: 'postgres', url: src.url, table: `${src.schema}.crash`, cursor: { updatedAt: 'modified', id: 'row_id' } },
        mapping: { code: 'code', name: 'name', updated_at: 'modified' },
        kafka: { brokers: hub.kafka.connection.brokers, username: dept.name, password: '${DEPT_KAFKA_PASSWORD}' },
        registry: { url: hub.registryUrl, username: dept.name, password: '${DEPT_TOKEN}' },
        batchSize: 20,
        pollIntervalMs: 200,
      }),
    );
    const env = { DEPT_KAFKA_PASSWORD: dept.kafka.password, DEPT_TOKEN: dept.token };

    const first = startConnector(configPath, env);
    await first.waitFor((s) => published(s) >= 10, 40_000);
    // A moment later, so the kill often lands inside the next transaction.
    await sleep(Math.random() * 40);
    first.child.kill('SIGKILL');
    await first.exited;
    const partial = await readAll(hub.admin, dept.topic, { atLeast: 1, idleMs: 1000 });
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(total);

    const second = startConnector(configPath, env);
    await second.waitFor((s) => s.includes('"msg":"caught up; polling"'), 40_000);
    expect(second.stderr()).toContain('"msg":"restored position"');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toContain('"msg":"connector stopped"');

    const all = await readAll(hub.admin, dept.topic, { atLeast: total, idleMs: 2000 });
    const counts = countByKey(all);
    expect(counts.size).toBe(total);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(all).toHaveLength(total);
  });
});
