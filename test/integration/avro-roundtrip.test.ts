import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestKafka, uniqueName, type TestKafka } from '../helpers/kafka.ts';
import { consume } from '../helpers/consume.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';
import { wireSchemaId } from '../../services/platform/registry-client.ts';
import { samplesV1 } from '../schemas/samples.ts';

describe('an Avro record through the registry and the broker', () => {
  let t: TestApp;
  let kafka: TestKafka;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    kafka = await createTestKafka();
  });
  afterAll(async () => {
    await kafka.cleanup();
    await t.cleanup();
  });

  it('a department-style client registers, produces with kafkajs, and a consumer decodes the same record', async () => {
    const authority = await t.principal('authority');
    const address = t.app.server.address() as { port: number };
    const registry = new SchemaRegistry({ host: `http://127.0.0.1:${address.port}/registry`, auth: { username: authority.name, password: authority.token } });
    const [person] = (await loadSchemaFiles()).filter((s) => s.dataset === 'base.natural_person');
    const topic = await kafka.topic('raw.test.natural_person');
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: person!.text }, { subject: `${topic}-value` });

    const record = samplesV1['base.natural_person'] as Record<string, unknown>;
    const value = await registry.encode(id, record);
    expect(value[0]).toBe(0);
    expect(wireSchemaId(value)).toBe(id);

    const { username, password } = await kafka.user('producer');
    await kafka.admin.grant([
      { principal: username, resource: 'topic', name: topic, operation: 'write' },
      { principal: username, resource: 'topic', name: topic, operation: 'read' },
      { principal: username, resource: 'group', name: 'rt-', pattern: 'prefixed', operation: 'read' },
    ]);
    const client = kafka.clientFor(username, password);
    const producer = client.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: String(record.id_number), value }] });
    await producer.disconnect();

    const [message] = await consume(client, { topic, groupId: uniqueName('rt') });
    expect(message?.key?.toString()).toBe(record.id_number);
    // The hub's own client (a different cache) decodes it too.
    expect(await t.app.registry.decode(message!.value!)).toEqual(record);
    expect(await registry.decode(message!.value!)).toEqual(record);
  });

  it('encodes a batch into shared buffers that decode to the same records, byte for byte as one at a time', async () => {
    const [person] = (await loadSchemaFiles()).filter((s) => s.dataset === 'base.natural_person');
    const id = await t.app.registry.register(`${uniqueName('raw.test.many')}-value`, person!.text);
    const base = samplesV1['base.natural_person'] as Record<string, unknown>;
    // Past the first 64 KiB buffer, and one record larger than a whole buffer.
    const records = Array.from({ length: 800 }, (_, i) => ({ ...base, name: i === 400 ? '长'.repeat(40_000) : `${base.name}${i}` }));
    const values = await t.app.registry.encodeMany(id, records);
    expect(values).toHaveLength(records.length);
    for (const [i, v] of values.entries()) expect(v.equals(await t.app.registry.encode(id, records[i]))).toBe(true);
    expect(await t.app.registry.decode(values[799]!)).toEqual(records[799]);
    expect(await t.app.registry.decode(values[400]!)).toEqual(records[400]);
    await expect(t.app.registry.encodeMany(id, [base, { ...base, gender: 42 }])).rejects.toMatchObject({ code: 'HUB_ERR_VALIDATION' });
  });
});
