import { randomBytes } from 'node:crypto';
import type { BenchEnvironment } from './environment.ts';
import { createKafkaClient } from '../../services/platform/kafka/client.ts';
import { createProducer } from '../../services/platform/kafka/producer.ts';
import { percentile, report, round } from './stats.ts';
import { valueSubject } from '../../services/contract/names.ts';

const schema = JSON.stringify({
  type: 'record',
  name: 'LatencyProbe',
  namespace: 'gov.hub.bench',
  fields: [
    { name: 'seq', type: 'long' },
    { name: 'body', type: 'string' },
  ],
});

/** A 1 KiB Avro record: 5 framing bytes + seq + length + a body sized to make 1024 bytes in all. */
const body = 'x'.repeat(1024 - 5 - 2 - 2);

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function measure(
  env: BenchEnvironment,
  { topic, count, encode, decode }: { topic: string; count: number; encode: (seq: number) => Promise<Buffer>; decode: (value: Buffer) => Promise<unknown> },
): Promise<{ latenciesMs: number[]; bytes: number }> {
  const kafka = createKafkaClient(env.connection, env.log);
  await env.app.kafka.admin.ensureTopics([{ name: topic, partitions: 1 }]);
  const producer = await createProducer({ kafka });
  const consumer = kafka.consumer({ groupId: `bench-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  const sentAt = new Map<number, bigint>();
  const latenciesMs: number[] = [];
  let bytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // Wait for the group to own the partition before timing anything.
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      await decode(message.value);
      const seq = Number(message.key?.toString());
      const start = sentAt.get(seq);
      if (start !== undefined) latenciesMs.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (latenciesMs.length >= count) done();
    },
  });
  await withTimeout(joined, 60_000, 'the bench consumer did not join its group');
  for (let seq = 0; seq < count; seq++) {
    const value = await encode(seq);
    bytes = value.length;
    sentAt.set(seq, process.hrtime.bigint());
    await producer.send(topic, [{ key: String(seq), value }]);
  }
  await withTimeout(finished, 120_000, `only ${latenciesMs.length}/${count} records came back`);
  await consumer.disconnect();
  await producer.close();
  await env.app.kafka.admin.deleteTopics([topic]);
  return { latenciesMs, bytes };
}

/** Produce-to-consume latency of 1 KiB Avro records (acks=-1, idempotent), beside raw 1 KiB bytes. */
export async function benchProduceConsumeLatency(env: BenchEnvironment, { count = 500 } = {}): Promise<void> {
  const id = await env.app.registry.register(valueSubject('bench.latency'), schema);
  const raw = Buffer.alloc(1024, 'x');
  // A first pass pays for JIT, connections and the first group join; it is not reported.
  await measure(env, { topic: `bench.warmup.${randomBytes(3).toString('hex')}`, count: 100, encode: async () => raw, decode: async (v) => v });
  const baseline = await measure(env, { topic: `bench.raw.${randomBytes(3).toString('hex')}`, count, encode: async () => raw, decode: async (v) => v });
  const avro = await measure(env, {
    topic: `bench.avro.${randomBytes(3).toString('hex')}`,
    count,
    encode: (seq) => env.app.registry.encode(id, { seq, body }),
    decode: (v) => env.app.registry.decode(v),
  });
  const p = (xs: number[], q: number) => round(percentile(xs, q), 3);
  report({
    bench: 'kafka.produce_to_consume_latency',
    record: 'avro',
    record_bytes: avro.bytes,
    n: count,
    p50_ms: p(avro.latenciesMs, 50),
    p99_ms: p(avro.latenciesMs, 99),
    baseline: 'raw 1 KiB bytes, same producer and consumer settings',
    baseline_p50_ms: p(baseline.latenciesMs, 50),
    baseline_p99_ms: p(baseline.latenciesMs, 99),
    ratio_p50: round(percentile(avro.latenciesMs, 50) / percentile(baseline.latenciesMs, 50), 3),
    ratio_p99: round(percentile(avro.latenciesMs, 99) / percentile(baseline.latenciesMs, 99), 3),
  });
}
