import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKafka, uniqueName, type TestKafka } from '../../helpers/kafka.ts';
import { consume } from '../../helpers/consume.ts';
import { kafkaErrorType } from '../../../services/platform/kafka/client.ts';

describe('SCRAM users and ACLs on the real broker', () => {
  let kafka: TestKafka;
  beforeAll(async () => {
    kafka = await createTestKafka();
  });
  afterAll(() => kafka.cleanup());

  it('refuses a run-time user without ACLs on produce and consume, and accepts it once granted', async () => {
    const topic = await kafka.topic('acl');
    const { username, password } = await kafka.user('scram');
    expect(await kafka.admin.userExists(username)).toBe(true);
    const client = kafka.clientFor(username, password);

    const producer = client.producer({ retry: { retries: 0 } });
    await producer.connect();
    const refusedProduce = await producer.send({ topic, acks: -1, messages: [{ value: 'no' }] }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(kafkaErrorType(refusedProduce)).toBe('TOPIC_AUTHORIZATION_FAILED');

    const group = uniqueName('grp');
    const refusedConsume = await consume(client, { topic, groupId: group }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(kafkaErrorType(refusedConsume)).toMatch(/AUTHORIZATION_FAILED/);

    await kafka.admin.grant([
      { principal: username, resource: 'topic', name: topic, operation: 'write' },
      { principal: username, resource: 'topic', name: topic, operation: 'describe' },
      { principal: username, resource: 'topic', name: topic, operation: 'read' },
      { principal: username, resource: 'group', name: group, operation: 'read' },
    ]);
    expect(await kafka.admin.aclsOf(username)).toHaveLength(4);

    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'granted' }] });
    await producer.disconnect();
    const [message] = await consume(client, { topic, groupId: group });
    expect(message?.value?.toString()).toBe('granted');
  });

  it('rotates a password: the old one stops working, the new one works', async () => {
    const { username, password } = await kafka.user('rotate');
    await kafka.admin.upsertUser(username, 'a-new-password-123');
    const old = kafka.clientFor(username, password).admin();
    await expect(old.connect()).rejects.toThrow(/SASL|authentication/i);
    const fresh = kafka.clientFor(username, 'a-new-password-123').admin();
    await fresh.connect();
    await fresh.disconnect();
  });

  it('removes a user, so it can no longer log in', async () => {
    const { username, password } = await kafka.user('gone');
    await kafka.admin.deleteUser(username);
    expect(await kafka.admin.userExists(username)).toBe(false);
    await expect(kafka.clientFor(username, password).admin().connect()).rejects.toThrow(/SASL|authentication/i);
  });
});
