import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHub } from '../helpers/spawn-hub.ts';
import { freePort } from '../../services/platform/net.ts';
import { createHub, createPostgresSource, probeMapping, type Department, type Hub } from './harness.ts';
import { readEnvironment } from '../../services/platform/config.ts';

const baseEnv = () => ({ PATH: readEnvironment().PATH ?? '/usr/bin:/bin', HOME: readEnvironment().HOME ?? '/tmp', LOG_LEVEL: 'error' });

/** The `hub: ...` lines of a failed run: exactly one is expected. */
const hubLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('hub: '));

describe('hub connector run', () => {
  let hub: Hub;
  let src: Awaited<ReturnType<typeof createPostgresSource>>;
  let dir: string;
  let dept: Department;
  beforeAll(async () => {
    [hub, src, dir] = await Promise.all([createHub(), createPostgresSource(), mkdtemp(join(tmpdir(), 'hub-connector-cli-'))]);
    dept = await hub.department();
    await src.pool.query(
      `CREATE TABLE "${src.schema}".people (row_id bigserial PRIMARY KEY, code text NOT NULL, name text, amount numeric, quantity bigint, active boolean, born_on date, modified timestamp NOT NULL)`,
    );
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    await src?.cleanup();
    await hub?.cleanup();
  });

  async function configFile(name: string, patch: (doc: Record<string, unknown>) => void = () => undefined): Promise<string> {
    const doc: Record<string, unknown> = {
      id: 'cli',
      department: dept.name,
      dataset: 'base.connector_probe',
      source: { kind: 'postgres', url: src.url, table: `${src.schema}.people`, cursor: { updatedAt: 'modified', id: 'row_id' } },
      mapping: probeMapping,
      kafka: { brokers: hub.kafka.connection.brokers, username: dept.name, password: dept.kafka.password },
      registry: { url: hub.registryUrl, username: dept.name, password: dept.token },
    };
    patch(doc);
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(doc));
    return path;
  }

  it('shows its usage without a config file', async () => {
    const result = await runHub(['connector'], baseEnv());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: hub connector run <config.json>');
  });

  it('refuses an invalid config in one line naming the bad keys', async () => {
    const path = await configFile('invalid.json', (doc) => {
      doc.batchSize = 'many';
      (doc.source as Record<string, unknown>).cursor = {};
    });
    const result = await runHub(['connector', 'run', path], baseEnv());
    expect(result.code).toBe(1);
    const lines = hubLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`invalid connector config ${path}`);
    expect(lines[0]).toContain('source.cursor: name an updatedAt column, an id column, or both');
    expect(lines[0]).toContain('batchSize: must be a whole number');
  });

  it('refuses a mapping that does not fit the dataset or the table, before touching Kafka', async () => {
    const path = await configFile('mapping.json', (doc) => {
      doc.mapping = { ...probeMapping, nickname: 'name', name: 'full_name' };
    });
    const result = await runHub(['connector', 'run', path], baseEnv());
    expect(result.code).toBe(1);
    expect(hubLines(result.stderr)).toEqual([expect.stringContaining('mapping.nickname: not a field of base.connector_probe')]);
    const path2 = await configFile('column.json', (doc) => {
      doc.mapping = { ...probeMapping, name: 'full_name' };
    });
    const result2 = await runHub(['connector', 'run', path2], baseEnv());
    expect(result2.code).toBe(1);
    expect(hubLines(result2.stderr)).toEqual([expect.stringContaining('mapping.name: no column "full_name" in "')]);
  });

  it('names the unreachable database (password redacted) and what to do', async () => {
    const port = await freePort();
    const path = await configFile('no-db.json', (doc) => {
      (doc.source as Record<string, unknown>).url = `postgres://reader:s3cret@127.0.0.1:${port}/hub_test`;
    });
    const result = await runHub(['connector', 'run', path], baseEnv());
    expect(result.code).toBe(1);
    const lines = hubLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot reach the Postgres source at postgres://reader:***@127.0.0.1:${port}/hub_test`);
    expect(lines[0]).toContain('start the database or fix source.url');
    expect(result.stderr).not.toContain('s3cret');
  });

  it('names the unreachable Kafka and what to do', async () => {
    const port = await freePort();
    const path = await configFile('no-kafka.json', (doc) => {
      (doc.kafka as Record<string, unknown>).brokers = [`127.0.0.1:${port}`];
    });
    const result = await runHub(['connector', 'run', path], baseEnv());
    expect(result.code).toBe(1);
    const lines = hubLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot reach Kafka at 127.0.0.1:${port} as ${dept.name}`);
    expect(lines[0]).toContain('start the broker or fix kafka.brokers');
  });

  it('names the unreachable registry and what to do', async () => {
    const port = await freePort();
    const path = await configFile('no-registry.json', (doc) => {
      (doc.registry as Record<string, unknown>).url = `http://127.0.0.1:${port}/registry`;
    });
    const result = await runHub(['connector', 'run', path], baseEnv());
    expect(result.code).toBe(1);
    expect(hubLines(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(`cannot reach the schema registry at http://127\\.0\\.0\\.1:${port}/registry \\(.*ECONNREFUSED.*\\): start the hub or fix registry\\.url`),
      ),
    ]);
  });

  it('names a wrong Kafka password', async () => {
    const path = await configFile('bad-password.json', (doc) => {
      (doc.kafka as Record<string, unknown>).password = 'not-the-password';
    });
    const result = await runHub(['connector', 'run', path], baseEnv());
    expect(result.code).toBe(1);
    expect(hubLines(result.stderr)).toEqual([expect.stringContaining(`refused the login of ${dept.name}: check kafka.username and kafka.password`)]);
  });
});
