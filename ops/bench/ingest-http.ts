import { randomBytes, randomUUID } from 'node:crypto';
import { ingestHeaders } from '../../services/contract/headers.ts';
import type { BenchEnvironment } from './environment.ts';
import { declareBenchDataset, ratingRecord } from './ingest-dataset.ts';
import { report, round, throughput } from './stats.ts';
import { createKafkaClient } from '../../services/platform/kafka/client.ts';

/**
 * HTTP ingest records per second (500-record batches, a few in flight), beside a bare kafkajs
 * producer (acks=-1, idempotent) sending the same records, already Avro-encoded, in the same
 * batches with the same concurrency: what the hub adds on top of Kafka itself. A second bare run
 * adds the four headers every hub record carries (source, path, event time, record id), to tell
 * what the hub's own work costs from what kafkajs spends encoding headers.
 */
export async function benchHttpIngest(env: BenchEnvironment, { batches = 160, batchSize = 500, concurrency = 4 } = {}): Promise<void> {
  const { department, entry } = await declareBenchDataset(env, 'bench-http');
  const records = Array.from({ length: batches * batchSize }, (_, i) => ratingRecord(i));
  const bodies = Array.from({ length: batches }, (_, b) => JSON.stringify({ records: records.slice(b * batchSize, (b + 1) * batchSize) }));
  const post = async (body: string) => {
    const res = await fetch(`${env.url}/api/v1/datasets/${entry.dataset}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${department.token}`, 'content-type': 'application/json' },
      body,
    });
    if (res.status !== 200) throw new Error(`HTTP ingest answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };

  const { coercer } = await env.app.ingest.resolve(department.name, entry.dataset);
  const encoded = await Promise.all(
    records.map(async (r) => {
      const coerced = coercer.coerce(r);
      if (!coerced.ok) throw new Error(`bench record does not match: ${JSON.stringify(coerced.errors)}`);
      return { key: coerced.key, value: await env.app.registry.encode(entry.schemaId, coerced.value) };
    }),
  );
  const topic = `bench.ingest-baseline.${randomBytes(3).toString('hex')}`;
  await env.app.kafka.admin.ensureTopics([{ name: topic, partitions: env.config.catalog.rawTopicPartitions }]);
  const producer = createKafkaClient(env.connection, env.log).producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const send = (b: number) => producer.send({ topic, acks: -1, messages: encoded.slice(b * batchSize, (b + 1) * batchSize) });
  const at = new Date().toISOString();
  const sendWithHeaders = (b: number) =>
    producer.send({
      topic,
      acks: -1,
      messages: encoded.slice(b * batchSize, (b + 1) * batchSize).map((m) => ({
        ...m,
        headers: {
          [ingestHeaders.source]: department.name,
          [ingestHeaders.path]: 'http',
          [ingestHeaders.eventTime]: at,
          [ingestHeaders.recordId]: randomUUID(),
        },
      })),
    });
  try {
    // Warm-up passes (JIT, connections, partition leaders) are not counted.
    await throughput(concurrency, concurrency, (i) => post(bodies[i % batches] as string));
    await throughput(concurrency, concurrency, (i) => send(i % batches));
    const hubBatches = await throughput(batches, concurrency, (i) => post(bodies[i] as string));
    const kafkaBatches = await throughput(batches, concurrency, (i) => send(i));
    const headedBatches = await throughput(batches, concurrency, (i) => sendWithHeaders(i));
    report({
      bench: 'ingest.http_records_per_sec',
      records_per_sec: round(hubBatches * batchSize),
      n: batches * batchSize,
      batch: batchSize,
      concurrency,
      baseline: 'bare kafkajs producer (acks=-1, idempotent): the same records Avro-encoded beforehand, same keys, batches and concurrency, no headers',
      baseline_records_per_sec: round(kafkaBatches * batchSize),
      ratio: round(hubBatches / kafkaBatches, 3),
      baseline_with_headers_records_per_sec: round(headedBatches * batchSize),
      ratio_with_headers: round(hubBatches / headedBatches, 3),
    });
  } finally {
    await producer.disconnect();
    // Only the baseline's own topic: the hub's producer keeps refreshing the metadata of every topic
    // it wrote to and fails once one is gone.
    await env.app.kafka.admin.deleteTopics([topic]);
  }
}
