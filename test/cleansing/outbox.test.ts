import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, type TestKafka } from '../helpers/kafka.ts';
import { testLogger } from '../helpers/logger.ts';
import { consume } from '../helpers/consume.ts';
import { createOutboxRelay, enqueue } from '../../services/cleansing/outbox.ts';
import { withTransaction } from '../../services/platform/db/pool.ts';

describe('outbox relay', () => {
  let t: TestApp;
  let kafka: TestKafka;
  beforeAll(async () => {
    t = await createTestApp();
    kafka = await createTestKafka();
  });
  afterAll(async () => {
    await kafka?.cleanup();
    await t?.cleanup();
  });

  it('publishes a backlog larger than one produce request may carry, in order, and empties the outbox', async () => {
    const topic = await kafka.topic('outbox');
    // 500 records of 4 KiB: 2 MiB for one partition, twice the broker's batch limit.
    const records = Array.from({ length: 500 }, (_, i) => ({ topic, key: 'same-key', value: Buffer.alloc(4096, i % 251) }));
    await withTransaction(t.db.pool, (client) => enqueue(client, records));
    const relay = createOutboxRelay({ pool: t.db.pool, producer: t.app.kafka.producer, log: testLogger() });
    expect(await relay.drain()).toBe(500);
    const left = await t.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM cleansing_outbox');
    expect(Number(left.rows[0]?.n)).toBe(0);
    const got = await consume(kafka.clientFor(kafka.connection.username, kafka.connection.password), {
      topic,
      groupId: `${topic}-reader`,
      count: 500,
      timeoutMs: 30_000,
    });
    expect(got.map((m) => m.value![0])).toEqual(records.map((r) => r.value[0]));
  });
});
