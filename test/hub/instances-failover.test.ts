import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { KafkaMessage } from 'kafkajs';
import { hubEnv, runHub, startHubProcess } from '../helpers/spawn-hub.ts';
import { testConfig } from '../helpers/config.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import { LocalBroker } from '../../services/platform/kafka/local-broker.ts';
import { createKafkaClient } from '../../services/platform/kafka/client.ts';
import { freePort } from '../../services/platform/net.ts';
import { newPassword } from '../../services/platform/crypto.ts';
import { loadConfig, readEnvironment } from '../../services/platform/config.ts';
import { shareGroupPrefix, shareTopic } from '../../services/contract/names.ts';

interface Credentials {
  name: string;
  token: string;
  kafka: { username: string; password: string };
}

type Hub = ReturnType<typeof startHubProcess> & { base: string };

/**
 * Two `hub start` processes on one broker, one Postgres schema and one Redis prefix, as behind a
 * load balancer. The broker is this test's own: the hub's consumer groups have fixed names.
 */
describe('two hub instances, one killed mid-stream', () => {
  const schema = `t_pair_${randomBytes(4).toString('hex')}`;
  const dataset = 'base.natural_person';
  let stateDir = '';
  let broker: LocalBroker;
  let env: NodeJS.ProcessEnv;
  let pool: pg.Pool;
  const hubs: Hub[] = [];

  const start = async (): Promise<Hub> => {
    const port = await freePort();
    const hub = startHubProcess({ ...env, HUB_PORT: String(port) });
    await hub.waitFor(/Press Ctrl-C to stop/, 120_000);
    const started = { ...hub, base: `http://127.0.0.1:${port}` };
    hubs.push(started);
    return started;
  };
  const call = async (hub: Hub, who: Credentials, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${hub.base}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${who.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const principal = async (name: string, role: string): Promise<Credentials> => {
    const res = await runHub(['principal', 'create', name, '--role', role, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    return JSON.parse(res.stdout) as Credentials;
  };
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows as Record<string, unknown>[];

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'hub-pair-'));
    const superPassword = newPassword();
    broker = new LocalBroker({
      dir: join(stateDir, 'kafka'),
      port: await freePort(),
      controllerPort: await freePort(),
      heap: '512m',
      superUser: 'hub-admin',
      superPassword,
      startTimeoutMs: 180_000,
      toolEnv: loadConfig(readEnvironment()).kafka.local.toolEnv,
      log: testLogger(),
    });
    await broker.start();
    env = hubEnv({
      HUB_STATE_DIR: join(stateDir, 'hub'),
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_USERNAME: 'hub-admin',
      KAFKA_PASSWORD: superPassword,
      DATABASE_SCHEMA: schema,
      HUB_LANDING_SCHEMA_PREFIX: `${schema}_`,
      REDIS_KEY_PREFIX: `hub-test:${schema}:`,
      LOG_LEVEL: 'info',
    });
    pool = new pg.Pool({ connectionString: testConfig().database.url, options: `-c search_path=${schema}` });
  }, 240_000);

  afterAll(async () => {
    for (const hub of hubs) if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
    await broker?.stop();
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    for (const layer of ['base', 'theme']) await pool?.query(`DROP SCHEMA IF EXISTS "${schema}_${layer}" CASCADE`);
    await pool?.end();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('the survivor takes over cleansing, share streaming and timers: nothing lost, nothing twice', { timeout: 420_000 }, async () => {
    // The first instance writes the generated secrets; the second reads the same ones.
    const a = await start();
    const b = await start();

    const authority = await principal(`auth-${schema}`, 'authority');
    const consumer = await principal(`cons-${schema}`, 'consumer');
    const onboarded = await call(a, authority, 'POST', '/departments', { name: `psb-${schema.slice(7)}`, displayName: '公安局' });
    expect(onboarded.status, JSON.stringify(onboarded.body)).toBe(201);
    const dept = onboarded.body.credentials as Credentials;
    const declared = await call(b, dept, 'POST', '/catalog', { dataset });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    if (declared.body.status === 'pending') {
      const enrolled = await call(a, authority, 'POST', `/catalog/${String(declared.body.id)}/enrolment`, {
        decision: 'approve',
        authorities: {},
        reason: '同意',
      });
      expect(enrolled.status).toBe(200);
    }

    // A started first, so it streams share topics; the application lands on B, which hands the activation over.
    const submitted = await call(b, consumer, 'POST', '/applications', {
      purpose: '社保资格核验',
      datasets: [{ dataset, fields: ['id_number', 'name'] }],
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body.status).toBe('granted');
    const grantId = String(submitted.body.grantId);

    const total = 1200;
    const batch = 50;
    const send = async (from: number) => {
      const records = Array.from({ length: batch }, (_, i) => person(from + i));
      // A client behind a load balancer: the instance it reached is gone, so it sends to the other.
      for (const hub of [hubs[Math.floor((from - 1) / batch) % 2]!, b]) {
        const res = await fetch(`${hub.base}/api/v1/datasets/${dataset}/records`, {
          method: 'POST',
          headers: { authorization: `Bearer ${dept.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ records }),
        }).catch(() => null);
        if (res?.status === 200) return;
      }
      throw new Error(`batch from ${from} was acknowledged by neither instance`);
    };
    for (let from = 1; from <= total / 2; from += batch) await send(from);

    // A timer due while A is down: a second grant expiring in 15 s.
    const expiring = await call(a, consumer, 'POST', '/applications', {
      purpose: '短期核验',
      datasets: [{ dataset, fields: ['name'] }],
      validUntil: new Date(Date.now() + 15_000).toISOString(),
    });
    expect(expiring.status, JSON.stringify(expiring.body)).toBe(201);

    const leading = async (hub: Hub) => /^hub_share_streamer_leading 1$/m.test(await (await fetch(`${hub.base}/metrics`)).text());
    expect([await leading(a), await leading(b)]).toEqual([true, false]);
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    for (let from = total / 2 + 1; from <= total; from += batch) await send(from);

    expect(
      await waitFor(
        () => leading(b),
        (yes) => yes,
      ),
    ).toBe(true);

    // Every record landed once: one row and one history row per key.
    const landed = await waitFor(
      () => rows(`SELECT count(*)::int AS n FROM "${schema}_base".natural_person`),
      (r) => r[0]!.n === total,
      180_000,
    );
    expect(landed[0]!.n).toBe(total);
    const history = await rows(`SELECT count(*)::int AS n, count(DISTINCT _key)::int AS keys FROM "${schema}_base".natural_person_history`);
    expect(history[0]).toEqual({ n: total, keys: total });

    // The share topic has every record exactly once (read committed, as a consumer reads it).
    const kafka = createKafkaClient(
      {
        brokers: broker.brokers,
        username: consumer.kafka.username,
        password: consumer.kafka.password,
        clientId: 'pair-consumer',
        connectTimeoutMs: 5000,
        requestTimeoutMs: 30_000,
      },
      testLogger(),
    );
    const seen: KafkaMessage[] = [];
    const reader = kafka.consumer({ groupId: `${shareGroupPrefix(grantId)}check`, sessionTimeout: 10_000 });
    await reader.connect();
    await reader.subscribe({ topic: shareTopic(grantId, dataset), fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void seen.push(message) });
    try {
      await waitFor(
        () => Promise.resolve(seen.length),
        (n) => n >= total,
        180_000,
      );
      // Anything sent twice would arrive right behind the rest.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await reader.disconnect();
    }
    expect(seen.length).toBeGreaterThanOrEqual(total);
    const keys = seen.map((m) => m.key?.toString());
    expect(new Set(keys).size).toBe(total);
    expect(seen).toHaveLength(total);

    // The expiry due during the outage fired once, on B.
    const expiredId = String(expiring.body.id);
    const expiredSteps = () => rows(`SELECT actor FROM application_steps WHERE application_id = $1 AND action = 'expired'`, [expiredId]);
    await waitFor(expiredSteps, (r) => r.length > 0, 60_000);
    expect(await rows('SELECT status FROM applications WHERE id = $1', [expiredId])).toEqual([{ status: 'expired' }]);
    expect(await expiredSteps()).toEqual([{ actor: 'hub' }]);
    const fired = await rows(`SELECT fired_by FROM sharing_timers WHERE application_id = $1 AND kind = 'grant-expires'`, [expiredId]);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.fired_by).not.toBeNull();
  });
});
