import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { testConfig } from '../helpers/config.ts';
import { parseDatasetSchema, type DatasetSchema } from '../../services/contract/dataset-schema.ts';
import { rawTopic, valueSubject } from '../../services/contract/names.ts';
import { departmentGrants, departmentTopics, rawTopicGrants } from '../../services/catalog/department-grants.ts';
import { parseConnectorConfig, type ConnectorConfig } from '../../connectors/db/config.ts';
import { readEnvironment } from '../../services/platform/config.ts';

/** A small dataset that exercises every conversion the connector makes (decimal, bigint, boolean, date, timestamp). */
export const probeSchema: DatasetSchema = parseDatasetSchema(
  JSON.stringify({
    type: 'record',
    name: 'ConnectorProbe',
    namespace: 'gov.hub.base',
    doc: '连接器测试数据集',
    dataset: 'base.connector_probe',
    layer: 'base',
    businessKey: ['code'],
    fields: [
      { name: 'code', type: 'string', doc: '编码', grade: 1, rules: ['required'] },
      { name: 'name', type: 'string', doc: '名称', grade: 1 },
      { name: 'amount', type: ['null', 'double'], default: null, doc: '金额', grade: 1 },
      { name: 'quantity', type: ['null', 'long'], default: null, doc: '数量', grade: 1 },
      { name: 'active', type: ['null', 'boolean'], default: null, doc: '是否有效', grade: 1 },
      { name: 'born_on', type: ['null', { type: 'int', logicalType: 'date' }], default: null, doc: '日期', grade: 1 },
      { name: 'updated_at', type: { type: 'long', logicalType: 'timestamp-millis' }, doc: '更新时间', grade: 1, rules: ['required'] },
    ],
  }),
  'base/connector_probe.avsc',
);

export const probeMapping = {
  code: 'code',
  name: 'name',
  amount: 'amount',
  quantity: 'quantity',
  active: 'active',
  born_on: 'born_on',
  updated_at: 'modified',
};

export interface Department {
  name: string;
  topic: string;
  kafka: { username: string; password: string };
  token: string;
}

export interface Hub {
  t: TestApp;
  kafka: TestKafka;
  registryUrl: string;
  /** A kafkajs client as the hub super user (reads read_committed by default). */
  admin: Kafka;
  /** A department principal with its grants, topics and the probe schema registered for its raw topic. */
  department(): Promise<Department>;
  config(
    dept: Department,
    overrides: { id?: string; source: Record<string, unknown>; mapping?: Record<string, string>; batchSize?: number; pollIntervalMs?: number },
  ): ConnectorConfig;
  cleanup(): Promise<void>;
}

export async function createHub(): Promise<Hub> {
  const t = await createTestApp({ listen: true });
  const kafka = await createTestKafka();
  const { port } = t.app.server.address() as { port: number };
  const registryUrl = `http://127.0.0.1:${port}/registry`;
  const topics: string[] = [];
  return {
    t,
    kafka,
    registryUrl,
    admin: kafka.clientFor(kafka.connection.username, kafka.connection.password),
    async department() {
      const creds = await t.principal('department');
      const topic = rawTopic(creds.name, probeSchema.dataset);
      const specs = [...departmentTopics(creds.name), { name: topic, partitions: 3 }];
      await kafka.admin.ensureTopics(specs);
      topics.push(...specs.map((s) => s.name));
      await kafka.admin.grant([...departmentGrants(creds.name), ...rawTopicGrants(creds.name, topic)]);
      await t.app.registry.register(valueSubject(topic), probeSchema.text);
      return { name: creds.name, topic, kafka: creds.kafka, token: creds.token };
    },
    config(dept, { id = uniqueName('conn'), source, mapping = probeMapping, batchSize, pollIntervalMs }) {
      return parseConnectorConfig(
        {
          id,
          department: dept.name,
          dataset: probeSchema.dataset,
          source,
          mapping,
          kafka: { brokers: kafka.connection.brokers, username: dept.kafka.username, password: dept.kafka.password },
          registry: { url: registryUrl, username: dept.name, password: dept.token },
          ...(batchSize === undefined ? {} : { batchSize }),
          ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
        },
        {},
      );
    },
    async cleanup() {
      if (topics.length > 0) await kafka.admin.deleteTopics(topics).catch(() => undefined);
      await kafka.cleanup();
      await t.cleanup();
    },
  };
}

/**
 * Every committed message of a topic, from a fresh group: waits for at least `atLeast`, then
 * until nothing new arrives for `idleMs` (so duplicates would be seen too).
 */
export async function readAll(
  client: Kafka,
  topic: string,
  { atLeast, idleMs = 1500, timeoutMs = 30_000 }: { atLeast: number; idleMs?: number; timeoutMs?: number },
): Promise<KafkaMessage[]> {
  const consumer = client.consumer({ groupId: uniqueName('verify'), sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 200 });
  const messages: KafkaMessage[] = [];
  let last = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
        last = Date.now();
      },
    });
    const started = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      if (messages.length >= atLeast && Date.now() - last >= idleMs) return messages;
      if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms with ${messages.length}/${atLeast} messages on ${topic}`);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

export function header(message: KafkaMessage, name: string): string | undefined {
  return message.headers?.[name]?.toString();
}

export function countByKey(messages: readonly KafkaMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const key = m.key?.toString() ?? '';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Source tables in this machine's Postgres (hub_test), in a schema of their own, dropped by cleanup(). */
export async function createPostgresSource(): Promise<{ url: string; schema: string; pool: pg.Pool; cleanup(): Promise<void> }> {
  const url = testConfig().database.url;
  const schema = `src_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await pool.query(`CREATE SCHEMA "${schema}"`);
  return {
    url,
    schema,
    pool,
    async cleanup() {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

export const mariadbUrl = readEnvironment().TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/hub_test';

/** Source tables in this machine's MariaDB (database hub_test, created if missing), dropped by cleanup(). */
export async function createMariadbSource(): Promise<{ url: string; db: mysql.Connection; table(prefix: string): string; cleanup(): Promise<void> }> {
  const url = new URL(mariadbUrl);
  const database = url.pathname.slice(1);
  const server = new URL(mariadbUrl);
  server.pathname = '/';
  const bootstrap = await mysql.createConnection({ uri: server.toString() });
  await bootstrap.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  await bootstrap.end();
  const db = await mysql.createConnection({ uri: mariadbUrl, dateStrings: true });
  const tables: string[] = [];
  return {
    url: mariadbUrl,
    db,
    table(prefix) {
      const name = `${prefix}_${randomBytes(4).toString('hex')}`;
      tables.push(name);
      return name;
    },
    async cleanup() {
      for (const t of tables) await db.query(`DROP TABLE IF EXISTS \`${t}\``);
      await db.end();
    },
  };
}
