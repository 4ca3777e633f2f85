import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enc, recordSchema, startRegistry, uniqueSubject, type Harness } from './harness.ts';

const s1 = recordSchema([{ name: 'a', type: 'string' }]);
const s2 = recordSchema([
  { name: 'a', type: 'string' },
  { name: 'b', type: ['null', 'int'], default: null },
]);
const s3 = recordSchema([
  { name: 'a', type: 'string' },
  { name: 'b', type: ['null', 'int'], default: null },
  { name: 'c', type: ['null', 'int'], default: null },
]);

describe('registry: soft and hard deletes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRegistry();
  });
  afterAll(async () => {
    await h?.close();
  });

  const register = async (subject: string, schema: string) => {
    const res = await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema } });
    expect(res.statusCode).toBe(200);
    return res.json<{ id: number }>().id;
  };
  const expectError = async (method: 'GET' | 'DELETE', path: string, status: number, code: number) => {
    const res = await h.call(method, path);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ error_code: code, message: expect.any(String) });
  };

  it('soft-deletes a subject, hides it, then deletes it permanently', async () => {
    const subject = uniqueSubject('del');
    const id = await register(subject, s1);
    await register(subject, s2);
    await h.call('PUT', `/config/${enc(subject)}`, { body: { compatibility: 'FULL' } });

    await expectError('DELETE', `/subjects/${enc(subject)}?permanent=true`, 404, 40405);
    const soft = await h.call('DELETE', `/subjects/${enc(subject)}`);
    expect(soft.statusCode).toBe(200);
    expect(soft.json()).toEqual([1, 2]);

    expect((await h.call('GET', '/subjects')).json()).not.toContain(subject);
    expect((await h.call('GET', '/subjects?deleted=true')).json()).toContain(subject);
    await expectError('GET', `/subjects/${enc(subject)}/versions`, 404, 40401);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions?deleted=true`)).json()).toEqual([1, 2]);
    await expectError('GET', `/subjects/${enc(subject)}/versions/1`, 404, 40401);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/1?deleted=true`)).json()).toMatchObject({ version: 1, id });
    // Soft-deleting a subject drops its own config, as Confluent does.
    await expectError('GET', `/config/${enc(subject)}`, 404, 40408);
    // The id still resolves: data written with it must stay readable.
    expect((await h.call('GET', `/schemas/ids/${id}`)).statusCode).toBe(200);

    await expectError('DELETE', `/subjects/${enc(subject)}`, 404, 40404);
    const hard = await h.call('DELETE', `/subjects/${enc(subject)}?permanent=true`);
    expect(hard.json()).toEqual([1, 2]);
    expect((await h.call('GET', '/subjects?deleted=true')).json()).not.toContain(subject);
    await expectError('DELETE', `/subjects/${enc(subject)}`, 404, 40401);
    await expectError('DELETE', `/subjects/${enc(subject)}?permanent=true`, 404, 40401);
  });

  it('soft-deletes and hard-deletes versions with Confluent codes', async () => {
    const subject = uniqueSubject('delv');
    await register(subject, s1);
    await register(subject, s2);
    await register(subject, s3);

    await expectError('DELETE', `/subjects/${enc(subject)}/versions/2?permanent=true`, 404, 40407);
    const soft = await h.call('DELETE', `/subjects/${enc(subject)}/versions/2`);
    expect(soft.statusCode).toBe(200);
    expect(soft.json()).toBe(2);
    await expectError('DELETE', `/subjects/${enc(subject)}/versions/2`, 404, 40406);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([1, 3]);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions?deleted=true`)).json()).toEqual([1, 2, 3]);
    await expectError('GET', `/subjects/${enc(subject)}/versions/2`, 404, 40402);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/2?deleted=true`)).statusCode).toBe(200);

    expect((await h.call('DELETE', `/subjects/${enc(subject)}/versions/2?permanent=true`)).json()).toBe(2);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions?deleted=true`)).json()).toEqual([1, 3]);
    await expectError('DELETE', `/subjects/${enc(subject)}/versions/2`, 404, 40402);
    await expectError('DELETE', `/subjects/${enc(subject)}/versions/9`, 404, 40402);
    await expectError('DELETE', `/subjects/${enc(uniqueSubject('ghost'))}/versions/1`, 404, 40401);

    expect((await h.call('DELETE', `/subjects/${enc(subject)}/versions/latest`)).json()).toBe(3);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/latest`)).json()).toMatchObject({ version: 1 });
  });

  it('after deleting the latest version, the next registration gets max+1', async () => {
    const subject = uniqueSubject('next');
    await register(subject, s1);
    await register(subject, s2);
    await h.call('DELETE', `/subjects/${enc(subject)}/versions/2`);
    const id3 = await register(subject, s3);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/latest`)).json()).toMatchObject({ version: 3, id: id3 });
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([1, 3]);
  });

  it('a soft-deleted subject can be registered again, under a new version and the same id', async () => {
    const subject = uniqueSubject('revive');
    const id = await register(subject, s1);
    await h.call('DELETE', `/subjects/${enc(subject)}`);
    expect(await register(subject, s1)).toBe(id);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([2]);
    const lookup = await h.call('POST', `/subjects/${enc(subject)}`, { body: { schema: s1 } });
    expect(lookup.json()).toMatchObject({ version: 2, id });
  });

  it('ids are never reused after a permanent delete', async () => {
    const subject = uniqueSubject('noreuse');
    const unique = recordSchema([{ name: 'only', type: 'boolean' }], { name: 'NoReuse' });
    const id = await register(subject, unique);
    await h.call('DELETE', `/subjects/${enc(subject)}`);
    await h.call('DELETE', `/subjects/${enc(subject)}?permanent=true`);
    const other = await register(uniqueSubject('noreuse'), recordSchema([{ name: 'other', type: 'boolean' }], { name: 'NoReuse2' }));
    expect(other).toBeGreaterThan(id);
    // The same text registered again keeps its original id.
    expect(await register(subject, unique)).toBe(id);
  });
});
