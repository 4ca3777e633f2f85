import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSchema, startRegistry, uniqueSubject, type Harness } from './harness.ts';

describe('registry: the @kafkajs/confluent-schema-registry client works unchanged', () => {
  let h: Harness;
  let host: string;
  beforeAll(async () => {
    h = await startRegistry();
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.app.server.address();
    if (!address || typeof address === 'string') throw new Error('the test server has no TCP address');
    host = `http://127.0.0.1:${address.port}/registry`;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('register → encode → decode → getLatestSchemaId → getRegistryIdBySchema', async () => {
    const subject = uniqueSubject('client');
    const v1 = recordSchema([
      { name: 'nin', type: 'string' },
      { name: 'age', type: 'int' },
    ]);
    const producer = new SchemaRegistry({ host, auth: { username: h.authority.name, password: h.authority.token } });
    const { id } = await producer.register({ type: SchemaType.AVRO, schema: v1 }, { subject });
    expect(id).toBeGreaterThan(0);
    // The client sets the subject's level after its first registration.
    expect((await h.call('GET', `/config/${encodeURIComponent(subject)}`)).json()).toEqual({ compatibilityLevel: 'BACKWARD' });

    const record = { nin: 'AB123456C', age: 42 };
    const encoded = await producer.encode(id, record);
    expect(encoded.readUInt8(0)).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);

    // A fresh client as a consumer has no cache: it fetches the schema by id.
    const consumer = new SchemaRegistry({ host, auth: { username: h.consumer.name, password: h.consumer.token } });
    expect(await consumer.decode(encoded)).toEqual(record);
    expect(await consumer.getLatestSchemaId(subject)).toBe(id);
    expect(await consumer.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: v1 })).toBe(id);

    // Second registration: the client now finds the subject's level and checks it matches.
    const v2 = recordSchema([
      { name: 'nin', type: 'string' },
      { name: 'age', type: 'int' },
      { name: 'region', type: ['null', 'string'], default: null },
    ]);
    const second = await producer.register({ type: SchemaType.AVRO, schema: v2 }, { subject });
    expect(second.id).toBeGreaterThan(id);
    expect(await consumer.getLatestSchemaId(subject)).toBe(second.id);
    expect(await consumer.decode(await producer.encode(second.id, { ...record, region: 'north' }))).toEqual({ ...record, region: 'north' });
  });

  it('surfaces registry errors to the client: 403 for a consumer, 409 for an incompatible schema', async () => {
    const subject = uniqueSubject('client-err');
    const consumer = new SchemaRegistry({ host, auth: { username: h.consumer.name, password: h.consumer.token } });
    const schema = recordSchema([{ name: 'a', type: 'string' }]);
    await expect(consumer.register({ type: SchemaType.AVRO, schema }, { subject })).rejects.toMatchObject({ status: 403 });

    const producer = new SchemaRegistry({ host, auth: { username: h.authority.name, password: h.authority.token } });
    await producer.register({ type: SchemaType.AVRO, schema }, { subject });
    const incompatible = recordSchema([{ name: 'a', type: 'int' }]);
    await expect(producer.register({ type: SchemaType.AVRO, schema: incompatible }, { subject })).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('incompatible with an earlier schema'),
    });

    const stranger = new SchemaRegistry({ host, auth: { username: 'nobody', password: 'hub_nothing' } });
    await expect(stranger.getLatestSchemaId(subject)).rejects.toMatchObject({ status: 401 });
  });
});
