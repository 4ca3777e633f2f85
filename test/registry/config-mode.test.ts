import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enc, recordSchema, startRegistry, uniqueSubject, type Harness } from './harness.ts';

const schemaA = recordSchema([{ name: 'a', type: 'string' }]);
const schemaB = recordSchema([{ name: 'b', type: 'string' }], { name: 'Other' });

describe('registry: config and mode', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRegistry();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('global config defaults to BACKWARD, can be changed and reset', async () => {
    expect((await h.call('GET', '/config')).json()).toEqual({ compatibilityLevel: 'BACKWARD' });
    const put = await h.call('PUT', '/config', { body: { compatibility: 'full_transitive' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ compatibility: 'FULL_TRANSITIVE' });
    expect((await h.call('GET', '/config', { as: h.consumer })).json()).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
    expect((await h.call('DELETE', '/config')).json()).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
    expect((await h.call('GET', '/config')).json()).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('subject config: 40408 until set, defaultToGlobal, delete', async () => {
    const subject = uniqueSubject('cfg');
    const unset = await h.call('GET', `/config/${enc(subject)}`);
    expect(unset.statusCode).toBe(404);
    expect(unset.json()).toMatchObject({ error_code: 40408 });
    expect((await h.call('GET', `/config/${enc(subject)}?defaultToGlobal=true`)).json()).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await h.call('PUT', `/config/${enc(subject)}`, { body: { compatibility: 'NONE' } })).json()).toEqual({ compatibility: 'NONE' });
    expect((await h.call('GET', `/config/${enc(subject)}`)).json()).toEqual({ compatibilityLevel: 'NONE' });
    expect((await h.call('DELETE', `/config/${enc(subject)}`)).json()).toEqual({ compatibilityLevel: 'NONE' });
    expect((await h.call('DELETE', `/config/${enc(subject)}`)).json()).toMatchObject({ error_code: 40401 });
  });

  it('refuses an invalid compatibility level with 42203', async () => {
    for (const body of [{ compatibility: 'SIDEWAYS' }, {}, { compatibility: 3 }]) {
      const res = await h.call('PUT', `/config/${enc(uniqueSubject('bad'))}`, { body });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ error_code: 42203 });
    }
  });

  it('mode: READWRITE by default, 40409 for an unset subject, invalid mode 42204', async () => {
    const subject = uniqueSubject('mode');
    expect((await h.call('GET', '/mode')).json()).toEqual({ mode: 'READWRITE' });
    expect((await h.call('GET', `/mode/${enc(subject)}`)).json()).toMatchObject({ error_code: 40409 });
    expect((await h.call('GET', `/mode/${enc(subject)}?defaultToGlobal=true`)).json()).toEqual({ mode: 'READWRITE' });
    const bad = await h.call('PUT', `/mode/${enc(subject)}`, { body: { mode: 'SOMETIMES' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ error_code: 42204 });
  });

  it('READONLY refuses registering and deleting with 42205; reads and re-registering still work', async () => {
    const subject = uniqueSubject('ro');
    const { id } = (await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: schemaA } })).json<{ id: number }>();
    expect((await h.call('PUT', `/mode/${enc(subject)}`, { body: { mode: 'READONLY' } })).json()).toEqual({ mode: 'READONLY' });
    expect((await h.call('GET', `/mode/${enc(subject)}`)).json()).toEqual({ mode: 'READONLY' });

    const refused = await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: schemaB } });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ error_code: 42205, message: expect.stringContaining('read-only') });
    expect((await h.call('DELETE', `/subjects/${enc(subject)}/versions/1`)).json()).toMatchObject({ error_code: 42205 });
    expect((await h.call('DELETE', `/subjects/${enc(subject)}`)).json()).toMatchObject({ error_code: 42205 });
    expect((await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: schemaA } })).json()).toEqual({ id });
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/latest`)).statusCode).toBe(200);

    expect((await h.call('DELETE', `/mode/${enc(subject)}`)).json()).toEqual({ mode: 'READONLY' });
    expect((await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: schemaB } })).statusCode).toBe(409);
  });

  it('global READONLY applies to every subject', async () => {
    const subject = uniqueSubject('ro-global');
    await h.call('PUT', '/mode', { body: { mode: 'READONLY' } });
    try {
      const res = await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: schemaA } });
      expect(res.json()).toMatchObject({ error_code: 42205 });
    } finally {
      expect((await h.call('PUT', '/mode', { body: { mode: 'READWRITE' } })).json()).toEqual({ mode: 'READWRITE' });
    }
  });

  it('IMPORT mode registers with explicit ids and versions, skipping compatibility', async () => {
    const subject = uniqueSubject('import');
    // Far above anything this schema has handed out, so the id cannot clash.
    const importId = 50_000 + Math.floor(Math.random() * 10_000);
    const importA = recordSchema([{ name: 'a', type: 'string' }], { name: 'ImportedA' });
    const importB = recordSchema([{ name: 'b', type: 'string' }], { name: 'ImportedB' });
    const idNotAllowed = await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: importA, id: importId } });
    expect(idNotAllowed.json()).toMatchObject({ error_code: 42205 });

    expect((await h.call('PUT', `/mode/${enc(subject)}`, { body: { mode: 'IMPORT' } })).json()).toEqual({ mode: 'IMPORT' });
    const noId = await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: importA } });
    expect(noId.json()).toMatchObject({ error_code: 42205 });

    const imported = await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: importA, id: importId, version: 5 } });
    expect(imported.json()).toEqual({ id: importId });
    // Incompatible with version 5, but IMPORT does not check.
    const second = await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: importB, id: importId + 1, version: 6 } });
    expect(second.json()).toEqual({ id: importId + 1 });
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([5, 6]);
    expect((await h.call('GET', `/schemas/ids/${importId}`)).json()).toEqual({ schema: importA });

    const overwrite = await h.call('POST', `/subjects/${enc(subject)}/versions`, {
      body: { schema: recordSchema([{ name: 'z', type: 'int' }], { name: 'Z' }), id: importId, version: 7 },
    });
    expect(overwrite.json()).toMatchObject({ error_code: 42205 });

    // New ids continue above the imported ones.
    await h.call('PUT', `/mode/${enc(subject)}`, { body: { mode: 'READWRITE' } });
    const fresh = await h.call('POST', `/subjects/${enc(uniqueSubject('after-import'))}/versions`, {
      body: { schema: recordSchema([{ name: 'n', type: 'int' }], { name: 'AfterImport' }) },
    });
    expect(fresh.json<{ id: number }>().id).toBeGreaterThan(importId + 1);
  });

  it('switching a subject with schemas to IMPORT needs force=true', async () => {
    const subject = uniqueSubject('import-force');
    await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema: schemaA } });
    expect((await h.call('PUT', `/mode/${enc(subject)}`, { body: { mode: 'IMPORT' } })).json()).toMatchObject({ error_code: 42205 });
    expect((await h.call('PUT', `/mode/${enc(subject)}?force=true`, { body: { mode: 'IMPORT' } })).json()).toEqual({ mode: 'IMPORT' });
  });
});
