import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enc, recordSchema, startRegistry, uniqueSubject, type Harness } from './harness.ts';

const v1 = recordSchema([{ name: 'id', type: 'string' }]);
const v2 = recordSchema([
  { name: 'id', type: 'string' },
  { name: 'email', type: ['null', 'string'], default: null },
]);

describe('registry: schemas and subjects', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRegistry();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('registers a schema and serves it by id, by version and as latest', async () => {
    const subject = uniqueSubject('people');
    const reg = await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: v1 } });
    expect(reg.statusCode).toBe(200);
    expect(reg.headers['content-type']).toBe('application/vnd.schemaregistry.v1+json');
    const { id } = reg.json<{ id: number }>();
    expect(id).toBeGreaterThan(0);

    const byId = await h.call('GET', `/schemas/ids/${id}`);
    expect(byId.statusCode).toBe(200);
    expect(byId.json()).toEqual({ schema: v1 });

    const raw = await h.call('GET', `/schemas/ids/${id}/schema`);
    expect(JSON.parse(raw.body)).toEqual(JSON.parse(v1));

    const latest = await h.call('GET', `/subjects/${enc(subject)}/versions/latest`);
    expect(latest.json()).toEqual({ subject, version: 1, id, schema: v1 });
    const minusOne = await h.call('GET', `/subjects/${enc(subject)}/versions/-1`);
    expect(minusOne.json()).toEqual(latest.json());
    const first = await h.call('GET', `/subjects/${enc(subject)}/versions/1`);
    expect(first.json()).toEqual(latest.json());

    const schemaOnly = await h.call('GET', `/subjects/${enc(subject)}/versions/1/schema`);
    expect(schemaOnly.body).toBe(v1);

    const versions = await h.call('GET', `/subjects/${enc(subject)}/versions`);
    expect(versions.json()).toEqual([1]);
    expect((await h.call('GET', '/subjects')).json()).toContain(subject);
    expect((await h.call('GET', `/schemas/ids/${id}/subjects`)).json()).toEqual([subject]);
    expect((await h.call('GET', `/schemas/ids/${id}/versions`)).json()).toEqual([{ subject, version: 1 }]);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/1/referencedby`)).json()).toEqual([]);
  });

  it('re-registering the same schema returns the same id and adds no version', async () => {
    const subject = uniqueSubject('again');
    const a = (await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: v1 } })).json<{ id: number }>();
    // Same schema, other layout: identity is the canonical form, not the bytes.
    const relaid = JSON.stringify(JSON.parse(v1), null, 2);
    const b = (await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: relaid, schemaType: 'AVRO', references: [] } })).json<{
      id: number;
    }>();
    expect(b.id).toBe(a.id);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([1]);
  });

  it('gives the same global id to the same schema under another subject', async () => {
    const s1 = uniqueSubject('shared');
    const s2 = uniqueSubject('shared');
    const schema = recordSchema([{ name: 'shared', type: 'long' }]);
    const a = (await h.call('POST', `/subjects/${enc(s1)}/versions`, { body: { schema } })).json<{ id: number }>();
    const b = (await h.call('POST', `/subjects/${enc(s2)}/versions`, { body: { schema } })).json<{ id: number }>();
    expect(b.id).toBe(a.id);
    expect((await h.call('GET', `/schemas/ids/${a.id}/subjects`)).json<string[]>().sort()).toEqual([s1, s2].sort());
    expect((await h.call('GET', `/schemas/ids/${a.id}?subject=${enc(s2)}`)).statusCode).toBe(200);
    expect((await h.call('GET', `/schemas/ids/${a.id}?subject=${enc(uniqueSubject('other'))}`)).json()).toMatchObject({ error_code: 40403 });
  });

  it('keeps custom attributes in the schema identity and text', async () => {
    const subject = uniqueSubject('attrs');
    const plain = recordSchema([{ name: 'nin', type: 'string' }]);
    const graded = recordSchema([{ name: 'nin', type: 'string', businessKey: true }], { doc: 'citizen', grade: 'restricted' });
    const a = (await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: plain } })).json<{ id: number }>();
    const b = (await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: graded } })).json<{ id: number }>();
    expect(b.id).not.toBe(a.id);
    expect((await h.call('GET', `/schemas/ids/${b.id}`)).json()).toEqual({ schema: graded });
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([1, 2]);
  });

  it('a compatible change becomes version 2 and latest', async () => {
    const subject = uniqueSubject('evolve');
    const a = (await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: v1 } })).json<{ id: number }>();
    const b = (await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: v2 } })).json<{ id: number }>();
    expect(b.id).toBeGreaterThan(a.id);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/latest`)).json()).toEqual({ subject, version: 2, id: b.id, schema: v2 });
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/1`)).json()).toMatchObject({ version: 1, id: a.id });
  });

  it('looks a schema up under a subject', async () => {
    const subject = uniqueSubject('lookup');
    const { id } = (await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: v1 } })).json<{ id: number }>();
    const found = await h.call('POST', `/subjects/${enc(subject)}`, { body: { schema: v1, unknownField: 1 }, as: h.consumer });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ subject, id, version: 1, schema: v1 });
    const missing = await h.call('POST', `/subjects/${enc(subject)}`, { body: { schema: v2 } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error_code: 40403 });
    const noSubject = await h.call('POST', `/subjects/${enc(uniqueSubject('none'))}`, { body: { schema: v1 } });
    expect(noSubject.statusCode).toBe(404);
    expect(noSubject.json()).toMatchObject({ error_code: 40401 });
  });

  it('answers not-found with Confluent codes', async () => {
    const subject = uniqueSubject('nf');
    expect((await h.call('GET', '/schemas/ids/999999')).json()).toMatchObject({ error_code: 40403 });
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toMatchObject({ error_code: 40401 });
    await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: v1 } });
    const v9 = await h.call('GET', `/subjects/${enc(subject)}/versions/9`);
    expect(v9.statusCode).toBe(404);
    expect(v9.json()).toMatchObject({ error_code: 40402 });
  });

  it('lists types, schemas and the root', async () => {
    const subject = uniqueSubject('list');
    await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: v1 } });
    await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: v2 } });
    expect((await h.call('GET', '/schemas/types')).json()).toEqual(['AVRO']);
    expect((await h.call('GET', '')).json()).toEqual({});
    const all = (await h.call('GET', `/schemas?subjectPrefix=${enc(subject)}`)).json<Array<{ version: number }>>();
    expect(all.map((s) => s.version)).toEqual([1, 2]);
    const latest = (await h.call('GET', `/schemas?subjectPrefix=${enc(subject)}&latestOnly=true`)).json<Array<{ version: number; subject: string }>>();
    expect(latest).toEqual([expect.objectContaining({ subject, version: 2 })]);
    expect((await h.call('GET', `/subjects?subjectPrefix=${enc(subject)}`)).json()).toEqual([subject]);
  });

  it('ids are global and increasing', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const schema = recordSchema([{ name: `f${i}`, type: 'int' }], { name: `Inc${i}` });
      ids.push((await h.call('POST', `/subjects/${enc(uniqueSubject('inc'))}/versions`, { body: { schema } })).json<{ id: number }>().id);
    }
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
  });
});
