import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestKafka, uniqueName, type TestKafka } from '../../helpers/kafka.ts';
import { createKafkaClient } from '../../../services/platform/kafka/client.ts';
import { createProducer } from '../../../services/platform/kafka/producer.ts';
import { consume } from '../../helpers/consume.ts';
import { testLogger } from '../../helpers/logger.ts';

describe('the hub producer', () => {
  let kafka: TestKafka;
  beforeAll(async () => {
    kafka = await createTestKafka();
  });
  afterAll(() => kafka.cleanup());

  it('keeps working after a topic it wrote to is deleted', async () => {
    const doomed = uniqueName('doomed');
    await kafka.admin.ensureTopics([{ name: doomed, partitions: 1 }]);
    const other = await kafka.topic('survivor');
    const producer = await createProducer({ kafka: createKafkaClient(kafka.connection, testLogger()) });
    try {
      await producer.send(doomed, [{ key: 'a', value: Buffer.from('1') }]);
      await kafka.admin.deleteTopics([doomed]);
      const [delivery] = await producer.send(other, [{ key: 'b', value: Buffer.from('2') }]);
      expect(delivery?.topic).toBe(other);
      const [message] = await consume(kafka.clientFor(kafka.connection.username, kafka.connection.password), { topic: other, groupId: uniqueName('g') });
      expect(message?.value?.toString()).toBe('2');
      await expect(producer.send(doomed, [{ key: 'a', value: Buffer.from('1') }])).rejects.toThrow(/Kafka/);
    } finally {
      await producer.close();
    }
  });
});
