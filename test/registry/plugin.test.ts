import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../services/principals/authenticator.ts';
import { createPrincipalStore } from '../../services/principals/store.ts';
import { newToken } from '../../services/platform/crypto.ts';
import { registryPlugin } from '../../services/registry/plugin.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { basicAuth } from './harness.ts';

describe('registry plugin: encapsulation', () => {
  let db: TestDb;
  let app: FastifyInstance;
  let auth: string;
  beforeAll(async () => {
    db = await createTestDb();
    const store = createPrincipalStore({ pool: db.pool });
    const token = newToken();
    await store.insert({ name: 'service-encap', role: 'service', token, kafkaUser: 'service-encap' });
    auth = basicAuth('service-encap', token);
    app = Fastify({ logger: false });
    app.post('/echo', async (req) => ({ got: req.body }));
    await app.register(registryPlugin, { prefix: '/registry', pool: db.pool, authenticator: createAuthenticator({ store, cacheTtlMs: 0 }) });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.cleanup();
  });

  it('leaves the parent app its own parsers, auth, errors and 404s', async () => {
    const echo = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(echo.statusCode).toBe(200);
    expect(echo.headers['content-type']).toContain('application/json');
    expect(echo.json()).toEqual({ got: { a: 1 } });

    const parentNotFound = await app.inject({ method: 'GET', url: '/elsewhere' });
    expect(parentNotFound.statusCode).toBe(404);
    expect(parentNotFound.json()).not.toHaveProperty('error_code');

    const registryNotFound = await app.inject({ method: 'GET', url: '/registry/elsewhere', headers: { authorization: auth } });
    expect(registryNotFound.statusCode).toBe(404);
    expect(registryNotFound.json()).toMatchObject({ error_code: 404 });
  });

  it('serves the registry root with and without a trailing slash', async () => {
    for (const url of ['/registry', '/registry/']) {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: auth } });
      expect(res.statusCode, url).toBe(200);
      expect(res.json()).toEqual({});
    }
  });
});
