import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '../helpers/logger.ts';
import { createDbConnector, type DbConnector } from '../../connectors/db/connector.ts';
import type { ConnectorConfig } from '../../connectors/db/config.ts';
import { connectorDeadLetterTopic } from '../../services/contract/names.ts';
import { countByKey, createHub, createPostgresSource, header, readAll, type Hub } from './harness.ts';

const fastRetry = { initialDelayMs: 20, maxDelayMs: 200, maxElapsedMs: 2000 };

function connector(config: ConnectorConfig): DbConnector {
  return createDbConnector({ config, log: testLogger(), retry: fastRetry });
}

/** runOnce until a poll finds nothing; the rows each poll published. */
async function drain(c: DbConnector): Promise<number[]> {
  const counts: number[] = [];
  for (let n = await c.runOnce(); n > 0; n = await c.runOnce()) counts.push(n);
  return counts;
}

const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);

describe('database connector on Postgres', () => {
  let hub: Hub;
  let src: Awaited<ReturnType<typeof createPostgresSource>>;
  beforeAll(async () => {
    [hub, src] = await Promise.all([createHub(), createPostgresSource()]);
  });
  afterAll(async () => {
    await src?.cleanup();
    await hub?.cleanup();
  });

  /** A source table: its name for the config, and quoted for SQL. */
  async function table(name: string): Promise<{ tbl: string; sql: string }> {
    const sql = `"${src.schema}"."${name}"`;
    await src.pool.query(
      `CREATE TABLE ${sql} (row_id bigserial PRIMARY KEY, code text NOT NULL, name text, amount numeric(12,2), quantity bigint, active boolean, born_on date, modified timestamp(6) NOT NULL)`,
    );
    return { tbl: `${src.schema}.${name}`, sql };
  }

  it('publishes every row in the Confluent wire format, keyed by business key, with the ingest headers', async () => {
    const dept = await hub.department();
    const { tbl, sql } = await table('people');
    await src.pool.query(
      `INSERT INTO ${sql} (code, name, amount, quantity, active, born_on, modified)
       SELECT 'p-' || i, 'name ' || i, i * 1.25, 9007199254740000 + i, i % 2 = 0, date '1990-01-01' + i, timestamp '2024-05-01 08:30:00.123456' + i * interval '1 minute'
       FROM generate_series(1, 12) i`,
    );
    const config = hub.config(dept, { source: { kind: 'postgres', url: src.url, table: tbl, cursor: { updatedAt: 'modified', id: 'row_id' } }, batchSize: 5 });
    const c = connector(config);
    try {
      expect(await drain(c)).toEqual([5, 5, 2]);
    } finally {
      await c.close();
    }

    const messages = await readAll(hub.admin, dept.topic, { atLeast: 12 });
    expect(messages).toHaveLength(12);
    expect([...countByKey(messages).keys()].sort()).toEqual(Array.from({ length: 12 }, (_, i) => `p-${i + 1}`).sort());
    const first = messages.find((m) => m.key?.toString() === 'p-2');
    expect(first).toBeDefined();
    expect(await hub.t.app.registry.decode(first!.value!)).toEqual({
      code: 'p-2',
      name: 'name 2',
      amount: 2.5,
      quantity: 9007199254740002,
      active: true,
      born_on: Date.UTC(1990, 0, 3) / 86_400_000,
      updated_at: Date.parse('2024-05-01T08:32:00.123+08:00'),
    });
    expect(header(first!, 'hub-source')).toBe(dept.name);
    expect(header(first!, 'hub-ingest-path')).toBe('connector');
    expect(header(first!, 'hub-event-time')).toBe('2024-05-01T00:32:00.123Z');
    expect(header(first!, 'hub-record-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('neither loses nor repeats rows sharing one updated-at across batches, with updatedAt+id and with updatedAt only', async () => {
    const dept = await hub.department();
    const { tbl, sql } = await table('ties');
    // 40 rows share one instant (microseconds included), then 5 rows one microsecond apart each.
    await src.pool.query(
      `INSERT INTO ${sql} (code, name, modified)
       SELECT 't-' || i, 'tie', CASE WHEN i <= 40 THEN timestamp '2024-05-01 08:30:00.123456' ELSE timestamp '2024-05-01 08:30:00.123456' + (i - 40) * interval '1 microsecond' END
       FROM generate_series(1, 45) i ORDER BY random()`,
    );
    const mapping = { code: 'code', name: 'name', updated_at: 'modified' };
    const withId = connector(
      hub.config(dept, { source: { kind: 'postgres', url: src.url, table: tbl, cursor: { updatedAt: 'modified', id: 'row_id' } }, mapping, batchSize: 7 }),
    );
    try {
      expect(sum(await drain(withId))).toBe(45);
    } finally {
      await withId.close();
    }
    const once = countByKey(await readAll(hub.admin, dept.topic, { atLeast: 45 }));
    expect(once.size).toBe(45);
    expect([...once.values()].every((n) => n === 1)).toBe(true);

    const onlyUpdatedAt = connector(
      hub.config(dept, { source: { kind: 'postgres', url: src.url, table: tbl, cursor: { updatedAt: 'modified' } }, mapping, batchSize: 7 }),
    );
    try {
      const counts = await drain(onlyUpdatedAt);
      expect(sum(counts)).toBe(45);
      expect(counts.slice(0, -1).every((n) => n === 7)).toBe(true);
    } finally {
      await onlyUpdatedAt.close();
    }
    const twice = countByKey(await readAll(hub.admin, dept.topic, { atLeast: 90 }));
    expect(twice.size).toBe(45);
    expect([...twice.entries()].filter(([, n]) => n !== 2)).toEqual([]);
  });

  it('sends a row that does not fit the dataset to the dead-letter topic with its reason, publishes the others, and moves past it', async () => {
    const dept = await hub.department();
    const { tbl, sql } = await table('bad');
    await src.pool.query(
      `INSERT INTO ${sql} (code, name, quantity, modified) VALUES
       ('g-1', 'good', 1, '2024-05-01 10:00:00'), ('b-1', NULL, 2, '2024-05-01 10:00:01'), ('g-2', 'good', 3, '2024-05-01 10:00:02'),
       ('b-2', 'too big', 1152921504606846976, '2024-05-01 10:00:03'), ('g-3', 'good', 5, '2024-05-01 10:00:04')`,
    );
    const config = hub.config(dept, {
      id: 'bad-rows',
      source: { kind: 'postgres', url: src.url, table: tbl, cursor: { updatedAt: 'modified', id: 'row_id' } },
    });
    const c = connector(config);
    try {
      expect(await drain(c)).toEqual([5]);
    } finally {
      await c.close();
    }
    const good = await readAll(hub.admin, dept.topic, { atLeast: 3 });
    expect(good.map((m) => m.key?.toString()).sort()).toEqual(['g-1', 'g-2', 'g-3']);

    const dead = await readAll(hub.admin, connectorDeadLetterTopic(dept.name), { atLeast: 2 });
    expect(dead.map((m) => m.key?.toString()).sort()).toEqual(['b-1', 'b-2']);
    const missingName = dead.find((m) => m.key?.toString() === 'b-1')!;
    expect(JSON.parse(header(missingName, 'hub-dlq-reason')!)).toEqual([{ field: 'name', reason: 'required field is missing' }]);
    expect(header(missingName, 'hub-connector-id')).toBe('bad-rows');
    expect(JSON.parse(header(missingName, 'hub-connector-cursor')!)).toEqual({ updatedAt: '2024-05-01 10:00:01', id: '2' });
    expect(header(missingName, 'hub-dlq-topic')).toBe(dept.topic);
    expect(JSON.parse(missingName.value!.toString())).toMatchObject({ code: 'b-1', name: null, quantity: '2' });
    const tooBig = dead.find((m) => m.key?.toString() === 'b-2')!;
    expect(JSON.parse(header(tooBig, 'hub-dlq-reason')!)).toEqual([{ field: 'quantity', reason: expect.stringMatching(/too large/) }]);

    // The position moved past the bad rows and was committed with them: a new instance has nothing left.
    const again = connector(config);
    try {
      expect(await again.runOnce()).toBe(0);
    } finally {
      await again.close();
    }
  });

  it('fences an older instance with the same id: its stale batch is refused, and it resumes from the committed position', async () => {
    const dept = await hub.department();
    const { tbl, sql } = await table('zombie');
    await src.pool.query(
      `INSERT INTO ${sql} (code, name, modified) SELECT 'z-' || i, 'z', timestamp '2024-05-01 09:00:00' + i * interval '1 second' FROM generate_series(1, 30) i`,
    );
    const config = hub.config(dept, {
      id: 'zombie',
      source: { kind: 'postgres', url: src.url, table: tbl, cursor: { updatedAt: 'modified', id: 'row_id' } },
      mapping: { code: 'code', name: 'name', updated_at: 'modified' },
      batchSize: 5,
    });
    const older = connector(config);
    const newer = connector(config);
    try {
      expect(await older.runOnce()).toBe(5);
      // The newer instance fences the older one and continues from its committed position.
      expect(await newer.runOnce()).toBe(5);
      // The older one still believes it is at row 5: its commit of rows 6-10 is refused, it re-fences, re-reads the position and goes on from row 11.
      expect(await older.runOnce()).toBe(5);
      expect(sum(await drain(older))).toBe(15);
    } finally {
      await older.close();
      await newer.close();
    }
    const counts = countByKey(await readAll(hub.admin, dept.topic, { atLeast: 30 }));
    expect(counts.size).toBe(30);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  });

  it('picks up a row inserted, and a row updated, after it caught up', async () => {
    const dept = await hub.department();
    const { tbl, sql } = await table('live');
    await src.pool.query(
      `INSERT INTO ${sql} (code, name, modified) SELECT 'l-' || i, 'first', timestamp '2024-05-01 09:00:00' + i * interval '1 second' FROM generate_series(1, 10) i`,
    );
    const c = connector(
      hub.config(dept, {
        source: { kind: 'postgres', url: src.url, table: tbl, cursor: { updatedAt: 'modified', id: 'row_id' } },
        mapping: { code: 'code', name: 'name', updated_at: 'modified' },
        batchSize: 4,
        pollIntervalMs: 100,
      }),
    );
    const controller = new AbortController();
    const running = c.run(controller.signal);
    try {
      expect(await readAll(hub.admin, dept.topic, { atLeast: 10, idleMs: 500 })).toHaveLength(10);
      await src.pool.query(`INSERT INTO ${sql} (code, name, modified) VALUES ('l-new', 'late', localtimestamp)`);
      await src.pool.query(`UPDATE ${sql} SET name = 'changed', modified = localtimestamp + interval '1 second' WHERE code = 'l-3'`);
      const after = await readAll(hub.admin, dept.topic, { atLeast: 12, idleMs: 800 });
      expect(after).toHaveLength(12);
      const latestL3 = after.filter((m) => m.key?.toString() === 'l-3').at(-1)!;
      expect(await hub.t.app.registry.decode(latestL3.value!)).toMatchObject({ code: 'l-3', name: 'changed' });
      expect(after.some((m) => m.key?.toString() === 'l-new')).toBe(true);
    } finally {
      controller.abort();
      await running;
    }
  });
});
