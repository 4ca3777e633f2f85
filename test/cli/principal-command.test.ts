import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { createTestKafka, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { hubEnv, runHub } from '../helpers/spawn-hub.ts';
import { createPrincipalStore } from '../../services/principals/store.ts';

describe('hub principal create', () => {
  let db: TestDb;
  let kafka: TestKafka;
  const created: string[] = [];
  beforeAll(async () => {
    db = await createTestDb();
    kafka = await createTestKafka();
  });
  afterAll(async () => {
    for (const name of created) await kafka.admin.deleteUser(name);
    await kafka.cleanup();
    await db.cleanup();
  });

  it('prints a new principal as JSON whose token and Kafka credentials work', async () => {
    const name = uniqueName('cli');
    const result = await runHub(['principal', 'create', name, '--role', 'consumer', '--json'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    created.push(name);
    const printed = JSON.parse(result.stdout) as { name: string; role: string; kafka: { username: string; password: string }; token: string };
    expect(Object.keys(printed).sort()).toEqual(['kafka', 'name', 'role', 'token']);
    expect(printed).toMatchObject({ name, role: 'consumer', kafka: { username: name } });

    const principal = await createPrincipalStore({ pool: db.pool }).byToken(printed.token);
    expect(principal).toEqual({ name, role: 'consumer', kafkaUser: name });
    const { rows } = await db.pool.query('SELECT token_hash FROM principals WHERE name = $1', [name]);
    expect(rows[0].token_hash).not.toContain(printed.token);

    const admin = kafka.clientFor(printed.kafka.username, printed.kafka.password).admin();
    await admin.connect();
    await admin.disconnect();
  });

  it('refuses a duplicate name without touching the existing Kafka password', async () => {
    const name = uniqueName('dup');
    const env = hubEnv({ DATABASE_SCHEMA: db.schema });
    const first = await runHub(['principal', 'create', name, '--role', 'steward', '--json'], env);
    created.push(name);
    const { kafka: creds } = JSON.parse(first.stdout) as { kafka: { username: string; password: string } };
    const again = await runHub(['principal', 'create', name, '--role', 'steward', '--json'], env);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`hub: principal "${name}" already exists`);
    const admin = kafka.clientFor(creds.username, creds.password).admin();
    await admin.connect();
    await admin.disconnect();
  });

  it('rejects an unknown role in one line with exit code 2', async () => {
    const result = await runHub(['principal', 'create', uniqueName('bad'), '--role', 'emperor'], hubEnv({ DATABASE_SCHEMA: db.schema }));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^hub: role "emperor" is not one of/);
  });

  it('says in one line, without a stack trace, that Postgres is unreachable', async () => {
    const result = await runHub(['principal', 'create', uniqueName('x'), '--role', 'auditor'], hubEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/hub' }));
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^hub: cannot reach Postgres at postgres:\/\/postgres@127\.0\.0\.1:1\/hub .*DATABASE_URL/);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
