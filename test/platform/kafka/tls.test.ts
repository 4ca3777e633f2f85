import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '../../helpers/logger.ts';
import { testConfig } from '../../helpers/config.ts';
import { freePort } from '../../../services/platform/net.ts';
import { LocalBroker } from '../../../services/platform/kafka/local-broker.ts';
import { createKafkaClient, type KafkaConnection } from '../../../services/platform/kafka/client.ts';
import { newPassword } from '../../../services/platform/crypto.ts';
import { loadConfig } from '../../../services/platform/config.ts';
import { loadOrCreateSecrets } from '../../../services/platform/secrets.ts';
import { resolveKafka } from '../../../services/hub/kafka-connection.ts';

/** The local broker's SASL_SSL listener, with a certificate from the CA it generates into its state folder. */
describe('encrypted transport to the local broker', () => {
  let dir: string;
  let broker: LocalBroker;
  let connection: KafkaConnection;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hub-tls-'));
    const superPassword = newPassword();
    broker = new LocalBroker({
      dir,
      port: await freePort(),
      controllerPort: await freePort(),
      heap: '384m',
      superUser: 'hub-admin',
      superPassword,
      startTimeoutMs: 180_000,
      tls: { port: await freePort(), password: newPassword() },
      toolEnv: testConfig().kafka.local.toolEnv,
      log: testLogger(),
    });
    await broker.start();
    connection = {
      brokers: broker.tls!.brokers,
      username: 'hub-admin',
      password: superPassword,
      clientId: 'tls-test',
      connectTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
    };
  }, 240_000);
  afterAll(async () => {
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('carries SCRAM clients over TLS with the generated CA, and refuses clients that do not trust it or speak plaintext', async () => {
    const ca = await readFile(broker.tls!.caFile, 'utf8');
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const kafka = createKafkaClient({ ...connection, ca }, testLogger());
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tls-check', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'tls-check', acks: -1, messages: [{ key: 'k', value: 'over tls' }] });
    await producer.disconnect();

    const quiet = { logLevel: logLevel.NOTHING, retry: { retries: 0 } };
    const { Kafka } = await import('kafkajs');
    const untrusting = new Kafka({
      ...quiet,
      clientId: 'x',
      brokers: [...broker.tls!.brokers],
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'hub-admin', password: connection.password },
      connectionTimeout: 5000,
    });
    await expect(untrusting.admin().connect()).rejects.toThrow(/certificate|self.signed|unable to verify/i);
    const plaintext = new Kafka({
      ...quiet,
      clientId: 'y',
      brokers: [...broker.tls!.brokers],
      sasl: { mechanism: 'scram-sha-512', username: 'hub-admin', password: connection.password },
      connectionTimeout: 5000,
    });
    await expect(plaintext.admin().connect()).rejects.toThrow();
  });

  it('connects the hub to an external broker over SASL_SSL with KAFKA_CA_FILE', async () => {
    const env = {
      HUB_STATE_DIR: dir,
      KAFKA_BROKERS: broker.tls!.brokers.join(','),
      KAFKA_USERNAME: 'hub-admin',
      KAFKA_PASSWORD: connection.password,
      KAFKA_CA_FILE: broker.tls!.caFile,
    };
    const secrets = await loadOrCreateSecrets(dir, []);
    const { connection: resolved, broker: owned } = await resolveKafka(loadConfig(env), secrets, testLogger());
    expect(owned).toBeNull();
    expect(resolved.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const admin = createKafkaClient(resolved, testLogger()).admin();
    await admin.connect();
    expect(await admin.listTopics()).toContain('tls-check');
    await admin.disconnect();

    const missing = await resolveKafka(loadConfig({ ...env, KAFKA_CA_FILE: join(dir, 'nope.pem') }), secrets, testLogger()).catch((err: unknown) => err);
    expect(missing).toMatchObject({ code: 'HUB_ERR_CONFIG' });
    expect(() => loadConfig({ KAFKA_CA_FILE: broker.tls!.caFile })).toThrow(/KAFKA_CA_FILE is for external brokers/);
  });
});
