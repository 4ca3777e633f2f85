import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { BenchEnvironment } from './environment.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { startCleansingWorkers } from '../../services/cleansing/workers.ts';
import { createGrantService } from '../../services/sharing/grant-service.ts';
import { quoteIdent } from '../../services/platform/db/pool.ts';
import { percentile, report, round } from './stats.ts';
import { person } from './people.ts';
import { declareProvider, post } from './api.ts';
import { shareGroupPrefix, shareTopic } from '../../services/contract/names.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running consumer; `first` settles on the first record, `refused` on the crash a refusal causes. */
async function follow(kafka: Kafka, topic: string, groupId: string): Promise<{ consumer: Consumer; first: Promise<void>; refused: Promise<void> }> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, retry: { retries: 0 } });
  let gotFirst!: () => void;
  let gotRefused!: () => void;
  const first = new Promise<void>((r) => (gotFirst = r));
  const refused = new Promise<void>((r) => (gotRefused = r));
  consumer.on(consumer.events.CRASH, () => gotRefused());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => gotFirst() });
  return { consumer, first, refused };
}

/**
 * Grants end to end: activate (topic, schema, backfill, ACLs) until the consumer reads its first
 * record, beside a bare createTopics + produce + first fetch; and revoke until the consumer's running
 * fetch loop is refused, beside a no-op ACL delete round trip. All in the same run.
 */
export async function benchGrants(env: BenchEnvironment, { runs = 5, people = 200 }: { runs?: number; people?: number } = {}): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const admin = env.app.kafka.admin;
  const authority = await env.app.principals.create({ name: `bench-gr-authority-${suffix}`, role: 'authority' });
  const { credentials: dept } = (await post(env, '/departments', authority.token, { name: `bench-gr-${suffix}`, displayName: `基准测试授权 ${suffix}` })) as {
    credentials: PrincipalCredentials;
  };
  // Another bench may already provide the dataset: then this department is enrolled by the authority.
  await declareProvider(env, { authorityToken: authority.token, deptToken: dept.token, body: { dataset: 'base.natural_person' } });
  const worker = await startCleansingWorkers(env.app, { config: env.config, log: env.log, groupId: `bench-gr-cleansing-${suffix}` });
  const offset = 900_000;
  await post(env, '/datasets/base.natural_person/records', dept.token, { records: Array.from({ length: people }, (_, k) => person(offset + k)) });
  const current = `${quoteIdent(`${env.config.cleansing.schemaPrefix}base`)}.natural_person`;
  const landed = async () =>
    Number((await env.app.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${current}`).catch(() => ({ rows: [{ n: '0' }] }))).rows[0]?.n ?? 0);
  while ((await landed()) < people) await sleep(50);

  const grants = createGrantService({
    pool: env.app.db,
    kafka: env.app.kafka.client,
    admin,
    registry: env.app.registry,
    producer: env.app.kafka.producer,
    log: env.log,
    schemaPrefix: env.config.cleansing.schemaPrefix,
    catalog: env.app.catalog,
    streamerGroupId: `bench-gr-streamer-${suffix}`,
  });
  await grants.start();
  const consumer = await env.app.principals.create({ name: `bench-gr-consumer-${suffix}`, role: 'consumer' });
  const client = (username: string, password: string) =>
    new Kafka({
      clientId: 'hub-bench-grants',
      brokers: [...env.connection.brokers],
      sasl: { mechanism: 'scram-sha-512', username, password },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
  const asConsumer = client(consumer.kafka.username, consumer.kafka.password);
  const asHub = client(env.connection.username, env.connection.password);

  const activateMs: number[] = [];
  const bareMs: number[] = [];
  const revokeMs: number[] = [];
  const noopAclMs: number[] = [];
  const baselineTopics: string[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const id = `bench-${suffix}-${i}`;
      let t0 = performance.now();
      await grants.activate({
        id,
        consumer: consumer.name,
        datasets: [{ dataset: 'base.natural_person', fields: ['id_number', 'name', 'gender', 'birth_date'] }],
        expiresAt: new Date(Date.now() + 3_600_000),
        purpose: '基准测试',
      });
      const share = await follow(asConsumer, shareTopic(id, 'base.natural_person'), `${shareGroupPrefix(id)}bench`);
      await share.first;
      activateMs.push(performance.now() - t0);

      const topic = `bench-gr-bare-${suffix}-${i}`;
      t0 = performance.now();
      await admin.ensureTopics([{ name: topic, partitions: 3 }]);
      baselineTopics.push(topic);
      await env.app.kafka.producer.send(topic, [{ key: 'k', value: Buffer.from('v') }]);
      const bare = await follow(asHub, topic, `bench-gr-bare-${suffix}-${i}`);
      await bare.first;
      bareMs.push(performance.now() - t0);
      await bare.consumer.disconnect();

      t0 = performance.now();
      const revoking = grants.revoke(id, 'revoked');
      await share.refused;
      revokeMs.push(performance.now() - t0);
      await revoking;
      await share.consumer.disconnect().catch(() => undefined);

      t0 = performance.now();
      await admin.revoke([{ principal: `bench-gr-nobody-${suffix}`, resource: 'topic', name: topic, operation: 'read' }]);
      noopAclMs.push(performance.now() - t0);
    }
  } finally {
    await grants.stop();
    await worker.stop();
    if (baselineTopics.length > 0) await admin.deleteTopics(baselineTopics).catch(() => undefined);
  }
  const p50 = (xs: number[]) => round(percentile(xs, 50));
  report({
    bench: 'grant-activate-to-first-record',
    unit: 'ms',
    runs,
    backfilled: people,
    p50: p50(activateMs),
    max: round(Math.max(...activateMs)),
    baseline: 'createTopics + produce + first fetch',
    baselineP50: p50(bareMs),
    ratio: round(percentile(activateMs, 50) / percentile(bareMs, 50)),
  });
  report({
    bench: 'grant-revoke-to-refusal',
    unit: 'ms',
    runs,
    p50: p50(revokeMs),
    max: round(Math.max(...revokeMs)),
    baseline: 'no-op ACL delete round trip',
    baselineP50: p50(noopAclMs),
    ratio: round(percentile(revokeMs, 50) / percentile(noopAclMs, 50)),
  });
}
