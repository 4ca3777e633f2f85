import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';
import { collect } from '../helpers/consume.ts';
import { person } from '../helpers/people.ts';
import { LocalCluster } from '../../services/platform/kafka/local-cluster.ts';
import { createKafkaClient, type KafkaConnection } from '../../services/platform/kafka/client.ts';
import { freePort } from '../../services/platform/net.ts';
import { newPassword } from '../../services/platform/crypto.ts';
import { loadConfig, readEnvironment } from '../../services/platform/config.ts';
import { rawTopic } from '../../services/contract/names.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

/**
 * Three KRaft nodes on this machine, the hub on them. One node is SIGKILLed while HTTP batches are
 * being acknowledged: with three replicas, min.insync.replicas 2, acks=all and idempotent
 * producers, an acknowledged batch is on two nodes at least, and the other two keep taking writes.
 */
describe('a three-broker cluster loses a broker under load', () => {
  const dataset = 'base.natural_person';
  let dir = '';
  let cluster: LocalCluster;
  let connection: KafkaConnection;
  let t: TestApp;
  let admin: Admin;
  let dept: PrincipalCredentials;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-cluster-'));
    const superPassword = newPassword();
    const ports = [];
    for (let i = 0; i < 3; i++) ports.push({ port: await freePort(), controllerPort: await freePort() });
    cluster = new LocalCluster({
      dir,
      ports,
      heap: '384m',
      superUser: 'hub-admin',
      superPassword,
      startTimeoutMs: 240_000,
      toolEnv: loadConfig(readEnvironment()).kafka.local.toolEnv,
      log: testLogger(),
    });
    await cluster.start();
    connection = {
      brokers: cluster.brokers,
      username: 'hub-admin',
      password: superPassword,
      clientId: 'hub-cluster-test',
      connectTimeoutMs: 3000,
      requestTimeoutMs: 30_000,
    };
    t = await createTestApp({ listen: true, deps: { kafka: connection } });
    admin = createKafkaClient(connection, testLogger()).admin();
    await admin.connect();
    dept = await t.department('psb');
    await t.declare(dept, { dataset });
    await t.startCleansing();
  }, 300_000);

  afterAll(async () => {
    await admin?.disconnect();
    await t?.cleanup();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps acknowledging batches, keeps each acknowledged record once, and the killed broker rejoins', { timeout: 420_000 }, async () => {
    const raw = rawTopic(dept.name, dataset);
    // The hub created the raw topic from the cluster's size: three replicas, two in sync.
    const [created] = await t.app.kafka.admin.describeTopics([raw]);
    expect(created).toMatchObject({ replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
    const before = await admin.fetchTopicMetadata({ topics: [raw] });
    for (const p of before.topics[0]!.partitions) expect(p.replicas).toHaveLength(3);
    // The node that crashes leads a partition of the topic being written.
    const victim = before.topics[0]!.partitions[0]!.leader;
    expect([1, 2, 3]).toContain(victim);

    const batches = 40;
    const size = 50;
    // Business key of every acknowledged record -> how many times its batch was sent.
    const sends = new Map<string, number>();
    let retried = 0;
    for (let b = 0; b < batches; b++) {
      if (b === 10) await cluster.kill(victim);
      const records = Array.from({ length: size }, (_, i) => person(b * size + i + 1));
      // The contract: while leadership moves a batch may answer a retryable 503 (HUB_ERR_KAFKA_UNAVAILABLE,
      // Retry-After); the client sends it again with the same Idempotency-Key.
      const headers = { ...t.auth(dept), 'idempotency-key': `failover-${b}` };
      for (let attempt = 1; ; attempt++) {
        const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${dataset}/records`, headers, payload: { records } });
        if (res.statusCode === 200) {
          expect(res.json()).toMatchObject({ accepted: size, rejected: [] });
          for (const r of records) sends.set(String(r.id_number), attempt);
          break;
        }
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json()).toMatchObject({ code: 'HUB_ERR_KAFKA_UNAVAILABLE' });
        expect(res.headers['retry-after']).toBeDefined();
        expect(attempt).toBeLessThan(20);
        retried++;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(sends.size).toBe(batches * size);

    // The whole raw topic, read from the two nodes left: each acknowledged record exactly once
    // (a batch sent n times, at most n times: a failed attempt may have written part of it).
    const ends = await admin.fetchTopicOffsets(raw);
    const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    const onTopic = await collect(t.app.kafka.client, { topic: raw, count: total, keep: () => true, timeoutMs: 120_000 });
    const seen = new Map<string, number>();
    for (const m of onTopic) {
      const key = m.key?.toString() ?? '';
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect([...seen.keys()].filter((k) => !sends.has(k))).toEqual([]);
    const wrong = [...sends].filter(([key, attempts]) => {
      const n = seen.get(key) ?? 0;
      return n < 1 || n > attempts;
    });
    expect(wrong).toEqual([]);
    if (retried === 0) expect(total).toBe(sends.size);

    // Landed exactly once: one row and one history row per acknowledged key.
    const table = `"${t.db.schema}_base".natural_person`;
    const count = async (sql: string) => Number((await t.db.pool.query<{ n: string }>(sql).catch(() => ({ rows: [{ n: '0' }] }))).rows[0]?.n ?? 0);
    expect(
      await waitFor(
        () => count(`SELECT count(*) AS n FROM ${table}`),
        (n) => n >= sends.size,
        180_000,
      ),
    ).toBe(sends.size);
    expect(await count(`SELECT count(*) AS n FROM "${t.db.schema}_base".natural_person_history`)).toBe(sends.size);
    expect(await count(`SELECT count(DISTINCT _key) AS n FROM "${t.db.schema}_base".natural_person_history`)).toBe(sends.size);

    // The killed node comes back on its own data and catches up: three brokers, every replica in sync.
    await cluster.restart(victim);
    const rejoined = await waitFor(
      async () => {
        const { brokers } = await admin.describeCluster();
        const { topics } = await admin.fetchTopicMetadata({ topics: [raw] });
        return { brokers: brokers.length, isr: topics[0]!.partitions.map((p) => p.isr.length) };
      },
      (s) => s.brokers === 3 && s.isr.every((n) => n === 3),
      120_000,
      1000,
    );
    expect(rejoined).toEqual({ brokers: 3, isr: [3, 3, 3] });
    testLogger().info({ retried, records: total }, 'batches retried while the broker was down');
  });
});
