import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { collect } from '../helpers/consume.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';
import { person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { createGrantService, type GrantService } from '../../services/sharing/grant-service.ts';
import { cleanTopic, shareTopic } from '../../services/contract/names.ts';
import { outboxHeaders, parseOutboxId } from '../../services/contract/headers.ts';

/** Every record of a topic as a consumer reads it (read committed), once `done` holds and a moment more has passed. */
async function readAll(kafka: Kafka, topic: string, done: (ms: KafkaMessage[]) => Promise<boolean> | boolean): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `${topic.split('.').slice(0, 2).join('.')}.${uniqueName('r')}`, maxWaitTimeInMs: 100 });
  const seen: KafkaMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
    await waitFor(
      async () => done(seen),
      (ok) => ok,
      60_000,
    );
    // A second copy would be right behind the first.
    await new Promise((r) => setTimeout(r, 2000));
    return [...seen];
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

describe('the share streamer writes each clean record once', () => {
  let t: TestApp;
  let kafka: TestKafka;
  let psb: PrincipalCredentials;
  let consumer: PrincipalCredentials;
  const dataset = 'base.natural_person';
  const grantId = uniqueName('g');
  const group = uniqueName('share');
  const running: GrantService[] = [];

  const streamer = async () => {
    const grants = createGrantService({
      pool: t.db.pool,
      kafka: t.app.kafka.client,
      admin: t.app.kafka.admin,
      registry: t.app.registry,
      producer: t.app.kafka.producer,
      log: testLogger(),
      schemaPrefix: t.config.cleansing.schemaPrefix,
      catalog: t.app.catalog,
      streamerGroupId: group,
      outboxOrigin: t.db.schema,
    });
    await grants.start();
    running.push(grants);
    return grants;
  };
  const send = async (records: Record<string, unknown>[]) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/datasets/${dataset}/records`, headers: t.auth(psb), payload: { records } });
    expect(res.statusCode, res.body).toBe(200);
  };
  /** The clean records this hub's outbox relayed, each as the relay sent it. */
  const relayed = (count: number) =>
    collect(t.app.kafka.client, {
      topic: cleanTopic(dataset),
      count,
      keep: (m) => parseOutboxId(String(m.headers?.[outboxHeaders.id] ?? ''))?.origin === t.db.schema,
    });
  /** What a relay that crashed after sending, before deleting its rows, sends again. */
  const relayAgain = async (ms: KafkaMessage[]) => {
    await t.app.kafka.producer.send(
      cleanTopic(dataset),
      ms.map((m) => ({ key: m.key, value: m.value, headers: { [outboxHeaders.id]: String(m.headers?.[outboxHeaders.id]) } })),
    );
  };
  // Other tests' hubs write the same clean topic: this test's people have ids nobody else uses.
  const base = 1_000_000 + Math.floor(Math.random() * 8_000_000);
  const mine = (k: number) => person(base + k);
  const ids = new Set([1, 2, 3, 4, 5, 6].map((k) => String(mine(k).id_number)));
  /** The share records of this test's people, by id number (the grant shares it unmasked). */
  const ours = async (ms: KafkaMessage[]) => {
    const out: string[] = [];
    for (const m of ms) {
      if (!m.value) continue;
      const v = await t.app.registry.decode<{ id_number: string }>(m.value);
      if (ids.has(v.id_number)) out.push(v.id_number);
    }
    return out;
  };

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    kafka = await createTestKafka();
    psb = await t.department('psb');
    await t.declare(psb, { dataset });
    await t.startCleansing();
    consumer = await t.principal('consumer');
  });
  afterAll(async () => {
    for (const g of running) await g.stop().catch(() => undefined);
    const left = (await t.app.kafka.admin.listTopics()).filter((x) => x === shareTopic(grantId, dataset));
    if (left.length > 0) await t.app.kafka.admin.deleteTopics(left);
    await kafka?.cleanup();
    await t?.cleanup();
  });

  it('skips what the outbox relay sent twice, also after another streamer took over', async () => {
    // Running before the grant, as on a hub: the clean topic's history is behind it when the grant comes.
    const first = await streamer();
    await send([mine(1), mine(2), mine(3)]);
    await t.landed(dataset, 3);
    await waitFor(
      () => t.app.kafka.admin.lag(group, [cleanTopic(dataset)]),
      (lag) => lag.length > 0 && lag.every((p) => p.lag === 0),
    );
    await first.activate({
      id: grantId,
      consumer: consumer.name,
      datasets: [{ dataset, fields: ['id_number', 'name'] }],
      unmasked: ['id_number'],
      expiresAt: new Date(Date.now() + 86_400_000),
      purpose: '社会救助资格核验',
    });
    const reader = kafka.clientFor(consumer.kafka.username, consumer.kafka.password);
    const topic = shareTopic(grantId, dataset);

    await send([mine(4)]);
    await relayAgain(await relayed(4));
    await send([mine(5)]);
    const afterRepeat = await ours(await readAll(reader, topic, async (ms) => (await ours(ms)).length >= 5));
    expect(afterRepeat).toHaveLength(5);
    expect(new Set(afterRepeat).size).toBe(5);

    // The next streamer reads the marks from the offsets the last transaction committed.
    await first.stop();
    await streamer();
    await relayAgain(await relayed(5));
    await send([mine(6)]);
    const afterTakeover = await ours(await readAll(reader, topic, async (ms) => (await ours(ms)).length >= 6));
    expect(afterTakeover).toHaveLength(6);
    expect(new Set(afterTakeover).size).toBe(6);
  });
});
