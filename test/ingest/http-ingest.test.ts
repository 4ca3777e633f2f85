import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { consume } from '../helpers/consume.ts';
import { testConnection } from '../helpers/kafka.ts';
import { testLogger } from '../helpers/logger.ts';
import { buildApp } from '../../services/hub/build-app.ts';
import { toHubKafkaError } from '../../services/platform/kafka/client.ts';
import type { HubProducer } from '../../services/platform/kafka/producer.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { samplesV1 } from '../schemas/samples.ts';

const rating = samplesV1['theme.tax_credit_rating'] as Record<string, unknown>;
const valid = (n: number) => ({ ...rating, rating_year: 2000 + n });

describe('HTTP ingest', () => {
  let t: TestApp;
  let kafka: TestKafka;
  let dept: PrincipalCredentials;
  let entry: CatalogEntry;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    kafka = await createTestKafka();
    dept = await t.department('tax');
    entry = await t.declare(dept, { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' });
  });
  afterAll(async () => {
    await kafka.cleanup();
    await t.cleanup();
  });

  const send = (records: unknown[], headers: Record<string, string> = {}, who: { token: string } = dept) =>
    t.app.inject({ method: 'POST', url: '/api/v1/datasets/theme.tax_credit_rating/records', headers: { ...t.auth(who), ...headers }, payload: { records } });
  const client = () => kafka.clientFor(kafka.connection.username, kafka.connection.password);

  it('lands exactly the valid records of a mixed batch and lists every rejected one', async () => {
    const records = [valid(1), { ...valid(2), rating_year: 'twenty' }, valid(3), { ...valid(4), taxpayer_id: undefined }, { ...valid(5), bogus: 1 }, valid(6)];
    const res = await send(records);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ dataset: 'theme.tax_credit_rating', topic: entry.topic, accepted: 3 });
    expect(body.rejected).toEqual([
      { index: 1, errors: [{ field: 'rating_year', reason: expect.stringMatching(/whole number/) }] },
      { index: 3, errors: [{ field: 'taxpayer_id', reason: 'required field is missing' }] },
      { index: 4, errors: [{ field: 'bogus', reason: 'not a field of this dataset' }] },
    ]);
    const messages = await consume(client(), { topic: entry.topic, groupId: uniqueName('http'), count: 3 });
    const years = await Promise.all(messages.map(async (m) => ((await t.app.registry.decode(m.value!)) as { rating_year: number }).rating_year));
    expect(years.sort()).toEqual([2001, 2003, 2006]);
    const headers = messages[0]!.headers!;
    expect(headers['hub-source']?.toString()).toBe(dept.name);
    expect(headers['hub-ingest-path']?.toString()).toBe('http');
    expect(headers['hub-record-id']?.toString()).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(headers['hub-event-time']!.toString())).not.toBeNaN();
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toContain(`hub_ingest_records_accepted_total{dataset="theme.tax_credit_rating",provider="${dept.name}",path="http"} 3`);
    expect(metrics).toContain(`hub_ingest_records_rejected_total{dataset="theme.tax_credit_rating",provider="${dept.name}",path="http"} 3`);
    expect(messages[0]!.key?.toString()).toMatch(new RegExp(`^${String(rating.taxpayer_id)}\\|200[136]$`));
  });

  it('lands a batch retried with the same Idempotency-Key once, and refuses the key for other data', async () => {
    const topic = entry.topic;
    const key = randomUUID();
    const batch = [valid(10), valid(11)];
    const first = await send(batch, { 'idempotency-key': key });
    const again = await send(batch, { 'idempotency-key': key });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const other = await send([valid(12)], { 'idempotency-key': key });
    expect(other.statusCode).toBe(422);
    // Earlier tests put 3 records on the topic; the retried batch adds 2, not 4.
    const all = await consume(client(), { topic, groupId: uniqueName('idem'), count: 5 });
    const late = await consume(client(), { topic, groupId: uniqueName('idem2'), count: 6, timeoutMs: 3000 }).then(
      () => 'more',
      () => 'none',
    );
    expect(all).toHaveLength(5);
    expect(late).toBe('none');
  });

  it('answers 503 with Retry-After, never a false success, when Kafka is down', async () => {
    const down: HubProducer = {
      send: async () => {
        throw toHubKafkaError(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), `to write to ${entry.topic}`);
      },
      forget: async () => undefined,
      close: async () => undefined,
    };
    const other = await buildApp(t.config, {
      log: testLogger(),
      kafka: testConnection(),
      service: { name: 'hub-system', token: 'x' },
      pool: t.db.pool,
      producer: down,
      registry: t.app.registry,
    });
    try {
      const key = randomUUID();
      const res = await other.inject({
        method: 'POST',
        url: '/api/v1/datasets/theme.tax_credit_rating/records',
        headers: { ...t.auth(dept), 'idempotency-key': key },
        payload: { records: [valid(20)] },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.json()).toMatchObject({ code: 'HUB_ERR_KAFKA_UNAVAILABLE' });
      // The failed attempt does not burn the key: the retry, once Kafka is back, goes through.
      expect((await send([valid(20)], { 'idempotency-key': key })).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('refuses oversized, empty, all-invalid, undeclared and unauthorised batches with 4xx JSON', async () => {
    const big = Array.from({ length: 5001 }, (_, i) => valid(i));
    expect((await send(big)).statusCode).toBe(400);
    expect((await send([])).statusCode).toBe(400);
    const allBad = await send([{ nope: 1 }]);
    expect(allBad.statusCode).toBe(422);
    expect(allBad.json().details.rejected).toHaveLength(1);
    const undeclared = await t.app.inject({
      method: 'POST',
      url: '/api/v1/datasets/base.land_parcel/records',
      headers: t.auth(dept),
      payload: { records: [{}] },
    });
    expect(undeclared.statusCode).toBe(404);
    expect(undeclared.json().message).toMatch(/has not declared base.land_parcel/);
    const consumer = await t.principal('consumer');
    expect((await send([valid(1)], {}, consumer)).statusCode).toBe(403);
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/api/v1/datasets/theme.tax_credit_rating/records',
      headers: { ...t.auth(dept), 'content-type': 'application/json' },
      payload: '{"records": [',
    });
    expect(notJson.statusCode).toBe(400);
  });
});
