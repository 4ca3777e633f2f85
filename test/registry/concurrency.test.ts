import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPool, type Pool } from '../../services/platform/db/pool.ts';
import { testConfig } from '../helpers/config.ts';
import { testLogger } from '../helpers/logger.ts';
import { buildRegistryApp, enc, recordSchema, startRegistry, uniqueSubject, type Harness } from './harness.ts';

describe('registry: concurrent writers on two hub instances', () => {
  let h: Harness;
  let secondPool: Pool;
  let second: FastifyInstance;
  beforeAll(async () => {
    h = await startRegistry();
    // A second instance: its own pool and app on the same schema, as another hub process would be.
    secondPool = await openPool({ ...testConfig().database, schema: h.db.schema, log: testLogger() });
    second = await buildRegistryApp({ pool: secondPool, authenticator: h.authenticator });
  });
  afterAll(async () => {
    await second?.close();
    await secondPool?.end();
    await h?.close();
  });

  const post = (app: FastifyInstance, subject: string, schema: string) =>
    app.inject({
      method: 'POST',
      url: `/registry/subjects/${enc(subject)}/versions`,
      headers: { authorization: h.authority.auth, 'content-type': 'application/vnd.schemaregistry.v1+json' },
      payload: JSON.stringify({ schema }),
    });

  it('the same new schema registered at once gets one id and one version', async () => {
    const subject = uniqueSubject('race');
    const schema = recordSchema([{ name: 'race', type: 'string' }], { name: 'Race' });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => post(i % 2 ? second : h.app, subject, schema)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(12).fill(200));
    expect(new Set(results.map((r) => r.json<{ id: number }>().id)).size).toBe(1);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([1]);
  });

  it('the same new schema under many subjects at once gets one global id', async () => {
    const schema = recordSchema([{ name: 'shared', type: 'string' }], { name: 'SharedRace' });
    const subjects = Array.from({ length: 8 }, () => uniqueSubject('fanout'));
    const results = await Promise.all(subjects.map((s, i) => post(i % 2 ? second : h.app, s, schema)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(new Set(results.map((r) => r.json<{ id: number }>().id)).size).toBe(1);
  });

  it('different compatible schemas at once get distinct, gapless versions', async () => {
    const subject = uniqueSubject('versions');
    await h.call('PUT', `/config/${enc(subject)}`, { body: { compatibility: 'NONE' } });
    const schemas = Array.from({ length: 10 }, (_, i) => recordSchema([{ name: `f${i}`, type: 'int' }], { name: 'Versioned' }));
    const results = await Promise.all(schemas.map((schema, i) => post(i % 2 ? second : h.app, subject, schema)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => r.json<{ id: number }>().id)).size).toBe(10);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
