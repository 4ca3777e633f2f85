import type { Kafka, KafkaMessage } from 'kafkajs';

/**
 * Reads `count` messages from the start of a topic with a fresh group, or rejects with the error
 * that crashed the consumer (e.g. an authorization refusal) or on timeout.
 */
export async function consume(
  kafka: Kafka,
  { topic, groupId, count = 1, timeoutMs = 20_000 }: { topic: string; groupId: string; count?: number; timeoutMs?: number },
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const messages: KafkaMessage[] = [];
  try {
    return await new Promise<KafkaMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms with ${messages.length}/${count} messages`)), timeoutMs);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      };
      consumer.on(consumer.events.CRASH, (event) => fail(event.payload.error));
      (async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            messages.push(message);
            if (messages.length >= count) {
              clearTimeout(timer);
              resolve(messages);
            }
          },
        });
      })().catch(fail);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * Reads a shared topic from the start with a fresh group until `count` messages match `keep`
 * (tests share topics such as hub.dead-letter, so each picks out its own records).
 */
export async function collect(
  kafka: Kafka,
  { topic, keep, count, timeoutMs = 20_000 }: { topic: string; keep: (m: KafkaMessage) => boolean; count: number; timeoutMs?: number },
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `collect-${Math.random().toString(36).slice(2)}` });
  const found: KafkaMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`found ${found.length}/${count} matching messages on ${topic} within ${timeoutMs} ms`)), timeoutMs);
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (keep(message)) found.push(message);
          if (found.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    return found;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
