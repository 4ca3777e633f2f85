import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '../helpers/logger.ts';
import { createDbConnector, type DbConnector } from '../../connectors/db/connector.ts';
import type { ConnectorConfig } from '../../connectors/db/config.ts';
import { countByKey, createHub, createMariadbSource, header, readAll, type Hub } from './harness.ts';

function connector(config: ConnectorConfig): DbConnector {
  return createDbConnector({ config, log: testLogger(), retry: { initialDelayMs: 20, maxDelayMs: 200, maxElapsedMs: 2000 } });
}

async function drain(c: DbConnector): Promise<number[]> {
  const counts: number[] = [];
  for (let n = await c.runOnce(); n > 0; n = await c.runOnce()) counts.push(n);
  return counts;
}

describe('database connector on MariaDB', () => {
  let hub: Hub;
  let src: Awaited<ReturnType<typeof createMariadbSource>>;
  beforeAll(async () => {
    [hub, src] = await Promise.all([createHub(), createMariadbSource()]);
  });
  afterAll(async () => {
    await src?.cleanup();
    await hub?.cleanup();
  });

  it('publishes every row (TINYINT(1), DECIMAL, BIGINT, DATE, TIMESTAMP(6) converted), keyed by business key, with the ingest headers', async () => {
    const dept = await hub.department();
    const table = src.table('people');
    await src.db.query(
      `CREATE TABLE \`${table}\` (row_id BIGINT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(40) NOT NULL, name VARCHAR(100), amount DECIMAL(12,2), quantity BIGINT, active TINYINT(1), born_on DATE, modified TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))`,
    );
    // TIMESTAMP is stored in UTC and shown in the session zone: written here in UTC, the connector reads it in its own zone.
    await src.db.query(`SET time_zone = '+00:00'`);
    for (let i = 1; i <= 9; i++) {
      await src.db.query(`INSERT INTO \`${table}\` (code, name, amount, quantity, active, born_on, modified) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
        `m-${i}`,
        `名字 ${i}`,
        (i * 1.5).toFixed(2),
        `900719925474${String(i).padStart(4, '0')}`,
        i % 2,
        `1990-01-${String(i).padStart(2, '0')}`,
        `2024-05-01 00:30:00.${String(i).padStart(6, '0')}`,
      ]);
    }
    const c = connector(hub.config(dept, { source: { kind: 'mariadb', url: src.url, table, cursor: { updatedAt: 'modified', id: 'row_id' } }, batchSize: 4 }));
    try {
      expect(await drain(c)).toEqual([4, 4, 1]);
    } finally {
      await c.close();
    }
    const messages = await readAll(hub.admin, dept.topic, { atLeast: 9 });
    expect(messages).toHaveLength(9);
    expect(countByKey(messages).size).toBe(9);
    const m3 = messages.find((m) => m.key?.toString() === 'm-3')!;
    expect(await hub.t.app.registry.decode(m3.value!)).toEqual({
      code: 'm-3',
      name: '名字 3',
      amount: 4.5,
      quantity: 9007199254740003,
      active: true,
      born_on: Date.UTC(1990, 0, 3) / 86_400_000,
      updated_at: Date.parse('2024-05-01T00:30:00.000Z'),
    });
    expect(header(m3, 'hub-source')).toBe(dept.name);
    expect(header(m3, 'hub-ingest-path')).toBe('connector');
    expect(header(m3, 'hub-event-time')).toBe('2024-05-01T00:30:00.000Z');
    expect(header(m3, 'hub-record-id')).toMatch(/^[0-9a-f-]{36}$/);
    const m2 = messages.find((m) => m.key?.toString() === 'm-2')!;
    expect(await hub.t.app.registry.decode(m2.value!)).toMatchObject({ active: false, amount: 3 });
  });

  it('tells DATETIME(6) values a microsecond apart, and neither loses nor repeats ties across batches (updatedAt+id, updatedAt only)', async () => {
    const dept = await hub.department();
    const table = src.table('ties');
    await src.db.query(
      `CREATE TABLE \`${table}\` (row_id INT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(40) NOT NULL, name VARCHAR(100), modified DATETIME(6) NOT NULL)`,
    );
    // 25 rows at .123456, 25 at .123457 (a JS Date cannot tell them apart), 6 later ones; inserted shuffled.
    const rows = Array.from({ length: 56 }, (_, i) => [
      `d-${i + 1}`,
      'tie',
      i < 25 ? '2024-05-01 08:30:00.123456' : i < 50 ? '2024-05-01 08:30:00.123457' : `2024-05-01 08:30:0${i - 49}.000000`,
    ]);
    rows.sort(() => Math.random() - 0.5);
    await src.db.query(`INSERT INTO \`${table}\` (code, name, modified) VALUES ?`, [rows]);
    const mapping = { code: 'code', name: 'name', updated_at: 'modified' };

    const withId = connector(
      hub.config(dept, { source: { kind: 'mariadb', url: src.url, table, cursor: { updatedAt: 'modified', id: 'row_id' } }, mapping, batchSize: 7 }),
    );
    try {
      expect((await drain(withId)).reduce((a, b) => a + b, 0)).toBe(56);
    } finally {
      await withId.close();
    }
    const once = countByKey(await readAll(hub.admin, dept.topic, { atLeast: 56 }));
    expect(once.size).toBe(56);
    expect([...once.values()].every((n) => n === 1)).toBe(true);

    const onlyUpdatedAt = connector(
      hub.config(dept, { source: { kind: 'mariadb', url: `${src.url}`, table, cursor: { updatedAt: 'modified' } }, mapping, batchSize: 7 }),
    );
    try {
      const counts = await drain(onlyUpdatedAt);
      expect(counts).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    } finally {
      await onlyUpdatedAt.close();
    }
    const twice = countByKey(await readAll(hub.admin, dept.topic, { atLeast: 112 }));
    expect(twice.size).toBe(56);
    expect([...twice.entries()].filter(([, n]) => n !== 2)).toEqual([]);
  });
});
