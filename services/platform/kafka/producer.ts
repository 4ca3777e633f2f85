import kafkajs, { type Kafka, type Producer } from 'kafkajs';
import { HubError } from '../errors.ts';
import { kafkaErrorType, toHubKafkaError } from './client.ts';

const { CompressionTypes, Partitioners } = kafkajs;

export interface OutgoingRecord {
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Event time in ms; defaults to now. */
  timestamp?: number;
  partition?: number;
}

export interface Delivery {
  topic: string;
  partition: number;
  offset: string;
}

/** The hub's producer: acks=-1 and idempotence always on, so an acknowledged record is durable once. */
export interface HubProducer {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<Delivery[]>;
  /**
   * Topics the hub just deleted: if this producer wrote to one, later sends go through a fresh
   * producer at once, instead of through kafkajs retrying the deleted topic's metadata for seconds.
   */
  forget(topics: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function createProducer({ kafka, compress = false }: { kafka: Kafka; compress?: boolean }): Promise<HubProducer> {
  const open = async (): Promise<Producer> => {
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    try {
      await p.connect();
    } catch (err) {
      throw toHubKafkaError(err, 'to connect the producer');
    }
    return p;
  };
  // A generation is one kafkajs producer with what it wrote to and its sends in flight.
  const generation = async () => ({ producer: await open(), written: new Set<string>(), inflight: new Set<Promise<unknown>>() });
  let current = await generation();
  const sendOnce = (topic: string, records: readonly OutgoingRecord[]) => {
    const gen = current;
    gen.written.add(topic);
    const sent = gen.producer.send({
      topic,
      acks: -1,
      compression: compress ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
        partition: r.partition,
      })),
    });
    gen.inflight.add(sent);
    const settle = () => gen.inflight.delete(sent);
    sent.then(settle, settle);
    return sent;
  };
  /**
   * Later sends use a fresh producer; the stale one closes once its sends in flight settle. Only the
   * generation that failed (or wrote the deleted topics) is replaced, once, however many ask.
   */
  let renewing: Promise<void> | null = null;
  const renew = (stale: typeof current): Promise<void> => {
    if (stale !== current) return renewing ?? Promise.resolve();
    renewing ??= (async () => {
      try {
        current = await generation();
      } finally {
        renewing = null;
      }
      await Promise.allSettled([...stale.inflight]);
      await stale.producer.disconnect().catch(() => undefined);
    })();
    return renewing;
  };
  const sendChunk = async (topic: string, records: readonly OutgoingRecord[]): Promise<Delivery[]> => {
    let result: Awaited<ReturnType<typeof sendOnce>>;
    const gen = current;
    try {
      result = await sendOnce(topic, records);
    } catch (err) {
      // kafkajs keeps every topic it ever wrote to in its metadata requests, so one deleted topic
      // fails all later sends; a fresh producer forgets it. A truly missing topic fails again.
      if (kafkaErrorType(err) !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      await renew(gen);
      result = await sendOnce(topic, records);
    }
    return result.map((m) => ({ topic: m.topicName, partition: m.partition, offset: m.baseOffset ?? m.offset ?? '-1' }));
  };
  return {
    async send(topic, records) {
      const tooLarge = records.findIndex((r) => recordBytes(r) > maxRecordBytes);
      if (tooLarge >= 0) {
        throw new HubError(
          'HUB_ERR_PAYLOAD_TOO_LARGE',
          `record #${tooLarge + 1} for ${topic} is ${recordBytes(records[tooLarge]!)} bytes encoded; the broker takes at most ${maxRecordBytes} bytes a record`,
        );
      }
      try {
        // In chunks under the broker's batch limit, in order: a large batch is never refused as a whole.
        const out: Delivery[] = [];
        for (const chunk of chunksOf(records)) out.push(...(await sendChunk(topic, chunk)));
        return out;
      } catch (err) {
        throw toHubKafkaError(err, `to write to ${topic}`);
      }
    },
    async forget(topics) {
      if (topics.some((t) => current.written.has(t))) await renew(current);
    },
    async close() {
      await renewing?.catch(() => undefined);
      await current.producer.disconnect();
    },
  };
}

/** Well under the broker's default message.max.bytes (1 MiB), which bounds a partition's record batch. */
const maxSendBytes = 512 * 1024;
/** The largest record the broker's default message.max.bytes (1,048,588) takes, with room for the batch header. */
export const maxRecordBytes = 1_000_000;

function recordBytes(r: OutgoingRecord): number {
  return (
    (r.value?.length ?? 0) +
    (r.key === null ? 0 : typeof r.key === 'string' ? Buffer.byteLength(r.key) : r.key.length) +
    Object.entries(r.headers ?? {}).reduce((n, [k, v]) => n + k.length + (typeof v === 'string' ? Buffer.byteLength(v) : v.length), 0) +
    64
  );
}

function* chunksOf(records: readonly OutgoingRecord[]): Generator<readonly OutgoingRecord[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const b = recordBytes(records[i]!);
    if (i > start && bytes + b > maxSendBytes) {
      yield records.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += b;
  }
  if (start < records.length) yield records.slice(start);
}

/** Sends records bound for several topics in their order: one send per run of the same topic. */
export async function sendInOrder(producer: HubProducer, records: readonly { topic: string; record: OutgoingRecord }[]): Promise<void> {
  let i = 0;
  while (i < records.length) {
    const topic = records[i]!.topic;
    let j = i;
    while (j < records.length && records[j]!.topic === topic) j++;
    await producer.send(
      topic,
      records.slice(i, j).map((r) => r.record),
    );
    i = j;
  }
}

/** A consumer's position to commit with the records a transaction writes. */
export interface ConsumedOffset {
  groupId: string;
  topic: string;
  partition: number;
  /** The next offset to read (the last processed + 1). */
  offset: string;
  /** Committed beside the offset (Kafka's offset metadata), read back with the group's offsets. */
  metadata?: string | null;
}

/**
 * Consume-transform-produce exactly once: the records and the consumer's offset commit in one
 * Kafka transaction, or neither does. A second producer with the same transactional id (the next
 * leader) fences this one, and aborts what it left open. Readers see it with read_committed
 * (kafkajs's default).
 */
export interface TransactionalProducer {
  sendWithOffset(records: readonly { topic: string; record: OutgoingRecord }[], offset: ConsumedOffset): Promise<void>;
  close(): Promise<void>;
}

export async function createTransactionalProducer({ kafka, transactionalId }: { kafka: Kafka; transactionalId: string }): Promise<TransactionalProducer> {
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await producer.connect();
  } catch (err) {
    throw toHubKafkaError(err, 'to connect the transactional producer');
  }
  return {
    async sendWithOffset(records, { groupId, topic, partition, offset, metadata = null }) {
      const txn = await producer.transaction().catch((err: unknown) => {
        throw toHubKafkaError(err, 'to begin a transaction');
      });
      try {
        let i = 0;
        while (i < records.length) {
          const target = records[i]!.topic;
          let j = i;
          while (j < records.length && records[j]!.topic === target) j++;
          for (const chunk of chunksOf(records.slice(i, j).map((r) => r.record))) {
            await txn.send({
              topic: target,
              acks: -1,
              messages: chunk.map((r) => ({
                key: r.key,
                value: r.value,
                headers: r.headers,
                timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
              })),
            });
          }
          i = j;
        }
        // kafkajs passes partition fields through to TxnOffsetCommit, whose partitions carry metadata.
        const entry = { partition, offset, metadata };
        const partitions: { partition: number; offset: string }[] = [entry];
        await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions }] });
        await txn.commit();
      } catch (err) {
        await txn.abort().catch(() => undefined);
        throw toHubKafkaError(err, `to write a transaction for ${topic}/${partition}`);
      }
    },
    close: () => producer.disconnect(),
  };
}
