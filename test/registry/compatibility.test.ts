import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroType } from '../../services/registry/canonical.ts';
import { checkCompatibility } from '../../services/registry/compatibility.ts';
import type { CompatibilityLevel } from '../../services/registry/types.ts';
import { enc, recordSchema, startRegistry, uniqueSubject, type Harness } from './harness.ts';

const base = recordSchema([{ name: 'id', type: 'string' }]);
const addOptional = recordSchema([
  { name: 'id', type: 'string' },
  { name: 'note', type: ['null', 'string'], default: null },
]);
const addRequired = recordSchema([
  { name: 'id', type: 'string' },
  { name: 'age', type: 'int' },
]);
const removed = recordSchema([]);
const idAsInt = recordSchema([{ name: 'id', type: 'int' }]);
const countInt = recordSchema([{ name: 'count', type: 'int' }]);
const countLong = recordSchema([{ name: 'count', type: 'long' }]);

describe('compatibility rules (avsc schema resolution)', () => {
  const check = (oldSchema: string, newSchema: string, level: CompatibilityLevel) =>
    checkCompatibility({ candidate: avroType(newSchema), previous: [{ version: 1, type: avroType(oldSchema) }], level }).length === 0;

  it.each([
    ['adding an optional field with a default', base, addOptional, 'BACKWARD', true],
    ['adding a required field without a default', base, addRequired, 'BACKWARD', false],
    ['adding a required field without a default', base, addRequired, 'FORWARD', true],
    ['removing a field without a default', base, removed, 'FORWARD', false],
    ['removing a field without a default', base, removed, 'BACKWARD', true],
    ['changing string to int', base, idAsInt, 'BACKWARD', false],
    ['changing string to int', base, idAsInt, 'FORWARD', false],
    ['widening int to long', countInt, countLong, 'BACKWARD', true],
    ['widening int to long', countInt, countLong, 'FORWARD', false],
    ['adding an optional field with a default', base, addOptional, 'FULL', true],
    ['adding a required field without a default', base, addRequired, 'FULL', false],
    ['anything', base, idAsInt, 'NONE', true],
  ] as const)('%s: %s is compatible=%s', (_what, oldSchema, newSchema, level, expected) => {
    expect(check(oldSchema, newSchema, level)).toBe(expected);
  });
});

describe('registry: compatibility over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRegistry();
  });
  afterAll(async () => {
    await h?.close();
  });

  const register = (subject: string, schema: string) => h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema } });
  const setLevel = (subject: string, compatibility: string) => h.call('PUT', `/config/${enc(subject)}`, { body: { compatibility } });

  it('refuses a backward-incompatible change with 409 and Confluent message', async () => {
    const subject = uniqueSubject('incompat');
    expect((await register(subject, base)).statusCode).toBe(200);
    const res = await register(subject, addRequired);
    expect(res.statusCode).toBe(409);
    const body = res.json<{ error_code: number; message: string }>();
    expect(body.error_code).toBe(409);
    expect(body.message).toContain(`Schema being registered is incompatible with an earlier schema for subject "${subject}"`);
    expect(body.message).toContain('age');
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([1]);
  });

  it('changing a field type string -> int is refused; int -> long is accepted (BACKWARD)', async () => {
    const s1 = uniqueSubject('type');
    await register(s1, base);
    expect((await register(s1, idAsInt)).statusCode).toBe(409);
    const s2 = uniqueSubject('widen');
    await register(s2, countInt);
    expect((await register(s2, countLong)).statusCode).toBe(200);
  });

  it('transitive levels check every live version, non-transitive only the latest', async () => {
    // v1 has no "age"; v2 adds "age" with a default; v3 makes it required. v3 reads v2 data, not v1 data.
    const v1 = recordSchema([{ name: 'id', type: 'string' }]);
    const v2 = recordSchema([
      { name: 'id', type: 'string' },
      { name: 'age', type: 'int', default: 0 },
    ]);
    const v3 = recordSchema([
      { name: 'id', type: 'string' },
      { name: 'age', type: 'int' },
    ]);
    const plain = uniqueSubject('plain');
    const transitive = uniqueSubject('transitive');
    await setLevel(plain, 'BACKWARD');
    await setLevel(transitive, 'BACKWARD_TRANSITIVE');
    for (const s of [plain, transitive]) {
      expect((await register(s, v1)).statusCode).toBe(200);
      expect((await register(s, v2)).statusCode).toBe(200);
    }
    expect((await register(plain, v3)).statusCode).toBe(200);
    const refused = await register(transitive, v3);
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ message: string }>().message).toContain('oldSchemaVersion: 1');

    // The compatibility endpoint follows the same rule; against one version it is never transitive.
    const viaLevel = await h.call('POST', `/compatibility/subjects/${enc(transitive)}/versions?verbose=true`, { body: { schema: v3 }, as: h.consumer });
    expect(viaLevel.json()).toMatchObject({ is_compatible: false, messages: [expect.stringContaining('oldSchemaVersion: 1')] });
    const latestOnly = await h.call('POST', `/compatibility/subjects/${enc(transitive)}/versions/latest`, { body: { schema: v3 }, as: h.consumer });
    expect(latestOnly.json()).toEqual({ is_compatible: true });
  });

  it('FORWARD refuses removing a field without a default; FORWARD_TRANSITIVE checks older versions', async () => {
    const subject = uniqueSubject('forward');
    await setLevel(subject, 'FORWARD');
    await register(subject, base);
    expect((await register(subject, removed)).statusCode).toBe(409);
    expect((await register(subject, addRequired)).statusCode).toBe(200);

    const t = uniqueSubject('forward-t');
    await setLevel(t, 'FORWARD_TRANSITIVE');
    const a = recordSchema([{ name: 'x', type: 'int' }]);
    const b = recordSchema([
      { name: 'x', type: 'int', default: 1 },
      { name: 'y', type: 'int', default: 0 },
    ]);
    const c = recordSchema([{ name: 'y', type: 'int', default: 0 }]);
    await register(t, a);
    expect((await register(t, b)).statusCode).toBe(200);
    // b reads c data (x has a default in b), a does not (x has none in a).
    expect((await register(t, c)).statusCode).toBe(409);
  });

  it('FULL needs both directions', async () => {
    const subject = uniqueSubject('full');
    await setLevel(subject, 'FULL');
    await register(subject, base);
    expect((await register(subject, addRequired)).statusCode).toBe(409);
    expect((await register(subject, removed)).statusCode).toBe(409);
    expect((await register(subject, addOptional)).statusCode).toBe(200);
    const fullT = uniqueSubject('full-t');
    await setLevel(fullT, 'FULL_TRANSITIVE');
    await register(fullT, base);
    expect((await register(fullT, addOptional)).statusCode).toBe(200);
  });

  it('NONE accepts anything', async () => {
    const subject = uniqueSubject('none');
    await setLevel(subject, 'NONE');
    await register(subject, base);
    expect((await register(subject, idAsInt)).statusCode).toBe(200);
  });

  it('the global level applies when a subject has none', async () => {
    const subject = uniqueSubject('global');
    await register(subject, base);
    expect((await h.call('PUT', '/config', { body: { compatibility: 'NONE' } })).json()).toEqual({ compatibility: 'NONE' });
    try {
      expect((await register(subject, idAsInt)).statusCode).toBe(200);
    } finally {
      await h.call('PUT', '/config', { body: { compatibility: 'BACKWARD' } });
    }
  });

  it('compatibility endpoint: true for a new subject at latest, 40401/40402 for missing ones', async () => {
    const subject = uniqueSubject('compat');
    expect((await h.call('POST', `/compatibility/subjects/${enc(subject)}/versions/latest`, { body: { schema: base } })).json()).toEqual({
      is_compatible: true,
    });
    expect((await h.call('POST', `/compatibility/subjects/${enc(subject)}/versions/1`, { body: { schema: base } })).json()).toMatchObject({
      error_code: 40401,
    });
    await register(subject, base);
    expect((await h.call('POST', `/compatibility/subjects/${enc(subject)}/versions/7`, { body: { schema: base } })).json()).toMatchObject({
      error_code: 40402,
    });
    expect((await h.call('POST', `/compatibility/subjects/${enc(subject)}/versions/1`, { body: { schema: addRequired } })).json()).toEqual({
      is_compatible: false,
    });
    const verbose = await h.call('POST', `/compatibility/subjects/${enc(subject)}/versions/1?verbose=true`, { body: { schema: addOptional } });
    expect(verbose.json()).toEqual({ is_compatible: true, messages: [] });
  });

  it('soft-deleted versions are ignored by compatibility checks', async () => {
    const subject = uniqueSubject('skip-deleted');
    await register(subject, base);
    expect((await h.call('DELETE', `/subjects/${enc(subject)}/versions/1`)).statusCode).toBe(200);
    expect((await register(subject, idAsInt)).statusCode).toBe(200);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/latest`)).json()).toMatchObject({ version: 2 });
  });
});
