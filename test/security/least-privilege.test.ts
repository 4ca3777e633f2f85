import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, testConnection, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { testLogger } from '../helpers/logger.ts';
import { testConfig } from '../helpers/config.ts';
import { waitFor } from '../helpers/wait.ts';
import { samplesV1 } from '../schemas/samples.ts';
import { kafkaErrorType } from '../../services/platform/kafka/client.ts';
import { loadOrCreateSecrets } from '../../services/platform/secrets.ts';
import { ensureServiceUsers, serviceConnections, serviceUserNames, serviceUserOf } from '../../services/hub/topology.ts';
import { startWorkers, type Workers } from '../../services/hub/workers.ts';
import { cleanTopic, rawTopicPrefix, shareTopic } from '../../services/contract/names.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';

/** Each kind of work connects to Kafka as its own service user, and that user can do nothing else. */
describe('least privilege in Kafka', () => {
  let t: TestApp;
  let kafka: TestKafka;
  let workers: Workers;
  let tax: PrincipalCredentials;
  let entry: CatalogEntry;
  let passwords: Record<string, string>;
  const cleansingGroup = `hub-cleansing-${uniqueName('lp')}`;

  beforeAll(async () => {
    kafka = await createTestKafka();
    const stateDir = testConfig().stateDir;
    passwords = (await loadOrCreateSecrets(stateDir, serviceUserNames)).serviceUsers;
    await ensureServiceUsers(kafka.admin, passwords, { cleansingGroup });
    t = await createTestApp({
      listen: true,
      deps: { serviceKafka: serviceConnections(testConnection(), passwords) },
      env: { HUB_CLEANSING_GROUP: cleansingGroup },
    });
    tax = await t.department('tax');
    entry = await t.declare(tax, { dataset: 'theme.tax_credit_rating', updateCycle: 'yearly' });
    workers = await startWorkers(t.app, { config: t.config, log: testLogger(), groupId: `hub-ingest-validator-${uniqueName('lp')}`, refreshMs: 1000 });
  });
  afterAll(async () => {
    await workers?.stop();
    await t?.cleanup();
    await kafka?.cleanup();
  });

  const rating = samplesV1['theme.tax_credit_rating'] as Record<string, unknown>;
  const landed = (year: number) =>
    t.db.pool
      .query(`SELECT 1 FROM "${t.db.schema}_theme".tax_credit_rating WHERE rating_year = $1`, [year])
      .then((r) => r.rowCount ?? 0)
      .catch(() => 0);

  it('runs ingest, validation and cleansing as their service users, each refused outside its ACLs', async () => {
    expect(t.app.kafka.as.cleansing.client).not.toBe(t.app.kafka.client);
    await t.send(tax, 'theme.tax_credit_rating', [{ ...rating, rating_year: 3001 }]);
    expect(
      await waitFor(
        () => landed(3001),
        (n) => n === 1,
      ),
    ).toBe(1);

    const as = (user: string) => kafka.clientFor(user, passwords[user]!).producer();
    const refusedWrite = async (user: string, topic: string) => {
      const producer = as(user);
      await producer.connect();
      try {
        const err = await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] }).then(
          () => null,
          (e: unknown) => e,
        );
        return kafkaErrorType(err);
      } finally {
        await producer.disconnect();
      }
    };
    expect(await refusedWrite(serviceUserOf.ingest, cleanTopic('theme.tax_credit_rating'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await refusedWrite(serviceUserOf.ingest, shareTopic('g-x', 'theme.tax_credit_rating'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await refusedWrite(serviceUserOf.cleansing, entry.topic)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await refusedWrite(serviceUserOf.cleansing, shareTopic('g-x', 'theme.tax_credit_rating'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await refusedWrite(serviceUserOf.sharing, entry.topic)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await refusedWrite(serviceUserOf.sharing, cleanTopic('theme.tax_credit_rating'))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('publishes HTTP batches as the ingest user, not the admin: without its WRITE on raw topics they are refused', async () => {
    const writeRaw = [
      { principal: serviceUserOf.ingest, resource: 'topic' as const, name: rawTopicPrefix, pattern: 'prefixed' as const, operation: 'write' as const },
    ];
    const post = (year: number) => t.api(tax, 'POST', '/datasets/theme.tax_credit_rating/records', { records: [{ ...rating, rating_year: year }] });
    await kafka.admin.revoke(writeRaw);
    try {
      // ACL changes reach the broker within moments; the admin user would never be refused.
      const refused = await waitFor(
        () => post(3002),
        (res) => res.statusCode === 403,
        15_000,
      );
      expect(refused.statusCode).toBe(403);
      expect(refused.json().message).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    } finally {
      await kafka.admin.grant(writeRaw);
    }
    expect(
      (
        await waitFor(
          () => post(3003),
          (res) => res.statusCode === 200,
          15_000,
        )
      ).statusCode,
    ).toBe(200);
  });
});
