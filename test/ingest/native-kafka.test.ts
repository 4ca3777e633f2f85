import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Producer } from 'kafkajs';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { collect, consume } from '../helpers/consume.ts';
import { testLogger } from '../helpers/logger.ts';
import { startWorkers, type Workers } from '../../services/hub/workers.ts';
import { deadLetterTopic } from '../../services/contract/names.ts';
import { createActivityStore } from '../../services/ingest/activity.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { samplesV1 } from '../schemas/samples.ts';

const rating = samplesV1['theme.tax_credit_rating'] as Record<string, unknown>;

describe('the native Kafka path', () => {
  let t: TestApp;
  let kafka: TestKafka;
  let dept: PrincipalCredentials;
  let entry: CatalogEntry;
  let workers: Workers;
  let producer: Producer;
  let registry: SchemaRegistry;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    kafka = await createTestKafka();
    dept = await t.department('native');
    entry = await t.declare(dept, { dataset: 'theme.tax_credit_rating', updateCycle: 'hourly' });
    workers = await startWorkers(t.app, {
      config: t.config,
      log: testLogger(),
      groupId: uniqueName('validator'),
      cleansingGroupId: uniqueName('cleansing'),
      refreshMs: 1000,
    });
    const { port } = t.app.server.address() as { port: number };
    registry = new SchemaRegistry({ host: `http://127.0.0.1:${port}/registry`, auth: { username: dept.name, password: dept.token } });
    producer = kafka.clientFor(dept.kafka.username, dept.kafka.password).producer({ idempotent: true });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await workers.stop();
    await kafka.cleanup();
    await t.cleanup();
  });

  const headers = () => ({ 'hub-source': dept.name, 'hub-ingest-path': 'kafka', 'hub-event-time': new Date().toISOString(), 'hub-record-id': randomUUID() });
  const superClient = () => kafka.clientFor(kafka.connection.username, kafka.connection.password);

  it('a department produces with its own credentials and the record decodes through the registry', async () => {
    const id = await registry.getLatestSchemaId(entry.subject);
    const value = await registry.encode(id, { ...rating, rating_year: 2031 });
    await producer.send({ topic: entry.topic, acks: -1, messages: [{ key: `${String(rating.taxpayer_id)}|2031`, value, headers: headers() }] });
    const [message] = await consume(superClient(), { topic: entry.topic, groupId: uniqueName('raw') });
    expect(await t.app.registry.decode(message!.value!)).toMatchObject({ rating_year: 2031 });
  });

  it('sends undecodable, foreign-schema, mis-keyed and header-less records to the dead-letter topic with the reason', async () => {
    const own = await registry.getLatestSchemaId(entry.subject);
    // A department may not register other subjects; the schema it wrongly writes with exists elsewhere in the registry.
    const refused = await registry
      .register(
        {
          type: SchemaType.AVRO,
          schema: JSON.stringify({ type: 'record', name: 'Other', namespace: 'gov.hub.test', fields: [{ name: 'x', type: 'string' }] }),
        },
        { subject: `${entry.topic}-key` },
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(String(refused)).toMatch(/Forbidden/);
    const foreign = await t.app.registry.register(
      uniqueName('other-subject'),
      JSON.stringify({ type: 'record', name: 'Other', namespace: 'gov.hub.test', fields: [{ name: 'x', type: 'string' }] }),
    );
    const good = await registry.encode(own, { ...rating, rating_year: 2032 });
    const marker = randomUUID();
    const bad = [
      { key: 'k1', value: Buffer.from('{"not": "avro"}'), reason: /not in the Confluent wire format/ },
      { key: 'k2', value: await registry.encode(foreign, { x: 'y' }), reason: new RegExp(`schema id ${foreign} is not a version of subject`) },
      { key: 'wrong-key', value: good, reason: /is not the record's business key/ },
    ];
    await producer.send({ topic: entry.topic, acks: -1, messages: bad.map((b) => ({ key: b.key, value: b.value, headers: { ...headers(), marker } })) });
    await producer.send({ topic: entry.topic, acks: -1, messages: [{ key: `${String(rating.taxpayer_id)}|2032`, value: good, headers: { marker } }] });

    const mine = await collect(superClient(), { topic: deadLetterTopic, keep: (m) => m.headers?.marker?.toString() === marker, count: 4 });
    expect(mine).toHaveLength(4);
    const reasons = mine.map((m) => m.headers?.['hub-dlq-reason']?.toString() ?? '');
    for (const b of bad) expect(reasons.some((r) => b.reason.test(r))).toBe(true);
    expect(reasons.some((r) => /lacks the hub-record-id header/.test(r))).toBe(true);
    for (const m of mine) {
      expect(m.headers?.['hub-dlq-topic']?.toString()).toBe(entry.topic);
      expect(m.headers?.['hub-dlq-offset']?.toString()).toMatch(/^\d+$/);
    }
    expect(mine.find((m) => m.key?.toString() === 'k1')?.value?.toString()).toBe('{"not": "avro"}');
  });

  it('guards a dataset declared after it started, without a restart', async () => {
    const later = await t.declare(dept, { dataset: 'theme.market_inspection', updateCycle: 'daily' });
    const marker = randomUUID();
    // The validator's group may still be rebalancing onto the new topic; the record waits for it.
    await producer.send({ topic: later.topic, acks: -1, messages: [{ key: 'x', value: Buffer.from('garbage'), headers: { ...headers(), marker } }] });
    const [dead] = await collect(superClient(), { topic: deadLetterTopic, keep: (m) => m.headers?.marker?.toString() === marker, count: 1 });
    expect(dead?.headers?.['hub-dlq-topic']?.toString()).toBe(later.topic);
  });

  it('raises a freshness alert for a provider silent past its cycle, once, and clears it when data arrives', async () => {
    const quiet = await t.provide(await t.department('quiet'), { dataset: 'theme.market_inspection', updateCycle: 'hourly' });
    const later = new Date(Date.now() + 2 * 60 * 60 * 1000);
    const [first, second] = await Promise.all([t.app.freshness.check(later), t.app.freshness.check(later)]);
    const raised = [...first!, ...second!].filter((a) => a.entryId === quiet.id);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ provider: quiet.provider, dataset: 'theme.market_inspection', updateCycle: 'hourly', resolvedAt: null });
    expect((await t.app.freshness.check(later)).filter((a) => a.entryId === quiet.id)).toHaveLength(0);

    const steward = await t.principal('steward');
    const listed = (await t.app.inject({ url: '/api/v1/alerts/freshness?open=true', headers: t.auth(steward) })).json() as { entryId: string }[];
    expect(listed.map((a) => a.entryId)).toContain(quiet.id);
    const consumer = await t.principal('consumer');
    expect((await t.app.inject({ url: '/api/v1/alerts/freshness', headers: t.auth(consumer) })).statusCode).toBe(403);
    await createActivityStore({ pool: t.db.pool }).record(quiet.id, 1, 'http', new Date());
    expect((await t.app.freshness.list({ provider: quiet.provider }))[0]).toMatchObject({ entryId: quiet.id, resolvedAt: expect.any(String) });
    const reopened = (await t.app.freshness.check(new Date(Date.now() + 10 * 60 * 1000))).filter((a) => a.entryId === quiet.id);
    expect(reopened).toHaveLength(0);

    // The natively produced record of the first test counts as activity for `entry`.
    const deadline = Date.now() + 15_000;
    let activity: { last_record_at: Date } | undefined;
    while (!activity && Date.now() < deadline) {
      activity = (await t.db.pool.query('SELECT last_record_at FROM dataset_activity WHERE entry_id = $1', [entry.id])).rows[0];
      if (!activity) await new Promise((r) => setTimeout(r, 250));
    }
    expect(activity).toBeDefined();
    const fresh = (await t.app.freshness.check(new Date(Date.now() + 10 * 60 * 1000))).filter((a) => a.entryId === entry.id);
    expect(fresh).toHaveLength(0);
  });
});
