import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { consume } from '../helpers/consume.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { kafkaErrorType } from '../../services/platform/kafka/client.ts';
import type { GrantService } from '../../services/sharing/grant-service.ts';

const masked = (id: string) => `${id.slice(0, 6)}********${id.slice(14)}`;

/** Reads a topic with a fresh group until `done` holds for the decoded records; rejects on a crash (a refusal) or timeout. */
async function readUntil(
  kafka: Kafka,
  registry: SchemaRegistry,
  { topic, groupId, done, timeoutMs = 30_000 }: { topic: string; groupId: string; done: (records: Record<string, unknown>[]) => boolean; timeoutMs?: number },
) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const records: Record<string, unknown>[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${records.length} records: ${JSON.stringify(records)}`)), timeoutMs);
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      (async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            if (message.value) records.push((await registry.decode(message.value)) as Record<string, unknown>);
            if (done(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      })().catch(reject);
    });
    return records;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

describe('grants enforced by Kafka', () => {
  let t: TestApp;
  let kafka: TestKafka;
  let psb: PrincipalCredentials;
  let consumer: PrincipalCredentials;
  let grants: GrantService;
  let registry: SchemaRegistry;
  const grantId = uniqueName('g');
  const topic = `share.${grantId}.base.natural_person`;
  const fields = ['id_number', 'name', 'gender', 'birth_date'];

  const send = async (records: Record<string, unknown>[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/base.natural_person/records', headers: t.auth(psb), payload: { records } });
    expect(res.statusCode, res.body).toBe(200);
  };

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    kafka = await createTestKafka();
    psb = await t.department('psb');
    await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name', 'gender', 'birth_date'] });
    await t.startCleansing();
    await send([person(1), person(2), person(3)]);
    const table = `"${t.db.schema}_base".natural_person`;
    await waitFor(
      async () => Number((await t.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`).catch(() => ({ rows: [{ n: '0' }] }))).rows[0]?.n),
      (n) => n >= 3,
    );
    grants = await t.startGrants();
    consumer = await t.principal('consumer');
    const { port } = t.app.server.address() as { port: number };
    registry = new SchemaRegistry({ host: `http://127.0.0.1:${port}/registry`, auth: { username: consumer.name, password: consumer.token } });
  });
  afterAll(async () => {
    const left = (await t.app.kafka.admin.listTopics()).filter((x) => x === topic);
    if (left.length > 0) await t.app.kafka.admin.deleteTopics(left);
    await kafka?.cleanup();
    await t?.cleanup();
  });

  it('activates: the consumer reads only the granted fields, sensitive ones masked, with its own credentials', async () => {
    const spec = {
      id: grantId,
      consumer: consumer.name,
      datasets: [{ dataset: 'base.natural_person', fields }],
      expiresAt: new Date(Date.now() + 86_400_000),
      purpose: '社会救助资格核验',
    };
    const active = await grants.activate(spec);
    expect(active).toMatchObject({
      id: grantId,
      status: 'active',
      groupPrefix: `share.${grantId}.`,
      datasets: [{ topic, keyMode: 'hashed', masked: { id_number: 'partial', name: 'partial', birth_date: 'year-only' } }],
    });
    const acls = await t.app.kafka.admin.aclsOf(consumer.name);
    expect(acls.map((a) => `${a.resource}:${a.name}:${a.pattern}:${a.operation}`).sort()).toEqual([
      `group:share.${grantId}.:prefixed:read`,
      `topic:${topic}:literal:describe`,
      `topic:${topic}:literal:read`,
    ]);

    const wanted = new Set([1, 2, 3].map((n) => masked(String(person(n).id_number))));
    const client = kafka.clientFor(consumer.kafka.username, consumer.kafka.password);
    const records = await readUntil(client, registry, {
      topic,
      groupId: `share.${grantId}.app`,
      done: (rs) => [...wanted].every((id) => rs.some((r) => r.id_number === id)),
    });
    for (const r of records) expect(Object.keys(r).sort()).toEqual([...fields].sort());
    const one = records.find((r) => r.id_number === masked(String(person(1).id_number)))!;
    expect(one.name).toMatch(/^居\*+$/);
    expect(one.gender).toBe(person(1).gender);
    expect(new Date(Number(one.birth_date) * 86_400_000).toISOString()).toMatch(/-01-01T00:00:00/);

    const again = await grants.activate(spec);
    expect(again.status).toBe('active');
    expect(await t.app.kafka.admin.aclsOf(consumer.name)).toHaveLength(3);
    expect((await grants.list()).map((g) => g.id)).toContain(grantId);
  });

  it('streams a record landed after activation', async () => {
    await send([person(4)]);
    const client = kafka.clientFor(consumer.kafka.username, consumer.kafka.password);
    const records = await readUntil(client, registry, {
      topic,
      groupId: `share.${grantId}.later`,
      done: (rs) => rs.some((r) => r.id_number === masked(String(person(4).id_number))),
    });
    expect(Object.keys(records.at(-1)!).sort()).toEqual([...fields].sort());
  });

  it('refuses a consumer without the grant, and the grantee outside its group prefix', async () => {
    const other = await t.principal('consumer');
    const refused = await consume(kafka.clientFor(other.kafka.username, other.kafka.password), { topic, groupId: `share.${grantId}.x` }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(kafkaErrorType(refused)).toMatch(/AUTHORIZATION_FAILED/);
    const wrongGroup = await consume(kafka.clientFor(consumer.kafka.username, consumer.kafka.password), { topic, groupId: uniqueName('elsewhere') }).then(
      () => null,
      (err: unknown) => err,
    );
    // kafkajs reports the broker's GROUP_AUTHORIZATION_FAILED on FindCoordinator as a coordinator it cannot find.
    expect(`${kafkaErrorType(wrongGroup)} ${String(wrongGroup)}`).toMatch(/AUTHORIZATION_FAILED|find group coordinator/);
  });

  it('revokes: the ACLs go, the consumer is refused, the grant is ended and its topic deleted', async () => {
    await grants.revoke(grantId, 'revoked');
    const refused = await consume(kafka.clientFor(consumer.kafka.username, consumer.kafka.password), { topic, groupId: `share.${grantId}.after` }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(kafkaErrorType(refused)).toMatch(/AUTHORIZATION_FAILED/);
    const acls = await t.app.kafka.admin.aclsOf(consumer.name);
    expect(acls.filter((a) => a.name.startsWith(`share.${grantId}.`))).toEqual([]);
    expect(await grants.get(grantId)).toMatchObject({ status: 'revoked', endedReason: 'revoked', endedAt: expect.any(Date) });
    expect((await grants.list()).map((g) => g.id)).not.toContain(grantId);
    expect(await t.app.kafka.admin.listTopics()).not.toContain(topic);
    await expect(
      grants.activate({
        id: grantId,
        consumer: consumer.name,
        datasets: [{ dataset: 'base.natural_person', fields }],
        expiresAt: new Date(Date.now() + 86_400_000),
        purpose: 'x',
      }),
    ).rejects.toThrow(/never reused/);
  });
});
