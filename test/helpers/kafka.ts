import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaClient, type KafkaConnection } from '../../services/platform/kafka/client.ts';
import { createAdmin, type AclBinding, type HubAdmin } from '../../services/platform/kafka/admin.ts';
import { createScramAdmin } from '../../services/platform/kafka/scram.ts';
import { newPassword } from '../../services/platform/crypto.ts';
import { testConfig } from './config.ts';
import { testLogger } from './logger.ts';

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export interface TestKafka {
  connection: KafkaConnection;
  admin: HubAdmin;
  /** Creates a topic with a unique name, deleted by cleanup(). */
  topic(prefix?: string, partitions?: number): Promise<string>;
  /** Creates a SCRAM user with no ACLs, removed (with its ACLs) by cleanup(). */
  user(prefix?: string): Promise<{ username: string; password: string }>;
  /** A kafkajs client for a user. Refusals are not retriable, so they still surface at once. */
  clientFor(username: string, password: string): Kafka;
  cleanup(): Promise<void>;
}

export function testConnection(): KafkaConnection {
  const { kafka } = testConfig();
  return {
    brokers: kafka.brokers ?? [],
    username: kafka.username ?? '',
    password: kafka.password ?? '',
    clientId: 'hub-test',
    connectTimeoutMs: kafka.connectTimeoutMs,
    requestTimeoutMs: kafka.requestTimeoutMs,
  };
}

export async function createTestKafka(): Promise<TestKafka> {
  const connection = testConnection();
  const admin = await createAdmin({ kafka: createKafkaClient(connection, testLogger()), scram: createScramAdmin(connection) });
  const topics: string[] = [];
  const users: string[] = [];
  return {
    connection,
    admin,
    async topic(prefix = 'test', partitions = 1) {
      const name = uniqueName(prefix);
      await admin.ensureTopics([{ name, partitions }]);
      topics.push(name);
      return name;
    },
    async user(prefix = 'user') {
      const username = uniqueName(prefix);
      const password = newPassword();
      await admin.upsertUser(username, password);
      users.push(username);
      return { username, password };
    },
    clientFor(username, password) {
      return new Kafka({
        clientId: 'hub-test-user',
        brokers: [...connection.brokers],
        sasl: { mechanism: 'scram-sha-512', username, password },
        logLevel: logLevel.NOTHING,
        retry: { retries: 5, initialRetryTime: 100 },
      });
    },
    async cleanup() {
      for (const u of users) {
        const acls: AclBinding[] = await admin.aclsOf(u);
        await admin.revoke(acls);
        await admin.deleteUser(u);
      }
      if (topics.length > 0) await admin.deleteTopics(topics);
      await admin.close();
    },
  };
}
