import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../services/principals/types.ts';
import { basicAuth, buildRegistryApp, enc, recordSchema, startRegistry, uniqueSubject, type Harness } from './harness.ts';

const schema = recordSchema([{ name: 'a', type: 'string' }]);

describe('registry: authentication and authorisation', () => {
  let h: Harness;
  beforeAll(async () => {
    // Departments may write subjects under their own name, as a future department rule would.
    h = await startRegistry({
      canWriteSubject: (p, subject) => p.role === 'authority' || p.role === 'service' || (p.role === 'department' && subject.startsWith(`${p.name}.`)),
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers 401 with error_code 40101 and a Basic challenge without credentials', async () => {
    for (const path of ['/subjects', '/schemas/ids/1', '/config', '/no/such/route']) {
      const res = await h.call('GET', path, { as: null });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="hub-registry"');
      expect(res.headers['content-type']).toBe('application/vnd.schemaregistry.v1+json');
      expect(res.json()).toEqual({ error_code: 40101, message: expect.stringContaining('Unauthorized') });
    }
  });

  it('answers 401 for a wrong token, a wrong name or a malformed header', async () => {
    const bad = [basicAuth(h.authority.name, 'hub_wrong'), basicAuth(h.consumer.name, h.authority.token), 'Basic !!!not-base64', 'Bearer ', 'Digest abc'];
    for (const authorization of bad) {
      const res = await h.app.inject({ method: 'GET', url: '/registry/subjects', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json()).toMatchObject({ error_code: 40101 });
    }
  });

  it('accepts Basic and Bearer credentials', async () => {
    const basic = await h.app.inject({ method: 'GET', url: '/registry/subjects', headers: { authorization: h.consumer.auth } });
    expect(basic.statusCode).toBe(200);
    const bearer = await h.app.inject({ method: 'GET', url: '/registry/subjects', headers: { authorization: `Bearer ${h.consumer.token}` } });
    expect(bearer.statusCode).toBe(200);
  });

  it('lets a consumer read but not register, delete or configure (403, 40301)', async () => {
    const subject = uniqueSubject('auth');
    expect((await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema } })).statusCode).toBe(200);
    const as = h.consumer;
    const forbidden: Array<[string, string, unknown]> = [
      ['POST', `/subjects/${enc(subject)}/versions`, { schema }],
      ['DELETE', `/subjects/${enc(subject)}`, undefined],
      ['DELETE', `/subjects/${enc(subject)}/versions/1`, undefined],
      ['PUT', `/config/${enc(subject)}`, { compatibility: 'NONE' }],
      ['DELETE', `/config/${enc(subject)}`, undefined],
      ['PUT', `/mode/${enc(subject)}`, { mode: 'READONLY' }],
      ['PUT', '/config', { compatibility: 'NONE' }],
      ['DELETE', '/config', undefined],
      ['PUT', '/mode', { mode: 'READONLY' }],
    ];
    for (const [method, path, body] of forbidden) {
      const res = await h.call(method as 'POST', path, { as, body });
      expect(res.statusCode, `${method} ${path}`).toBe(403);
      expect(res.json()).toEqual({ error_code: 40301, message: expect.stringContaining(as.name) });
    }
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions/latest`, { as })).statusCode).toBe(200);
    expect((await h.call('POST', `/subjects/${enc(subject)}`, { as, body: { schema } })).statusCode).toBe(200);
    expect((await h.call('POST', `/compatibility/subjects/${enc(subject)}/versions/latest`, { as, body: { schema } })).statusCode).toBe(200);
    expect((await h.call('GET', `/subjects/${enc(subject)}/versions`)).json()).toEqual([1]);
  });

  it('uses canWriteSubject for subjects, and keeps global settings to authority and service', async () => {
    const own = `${h.department.name}.people-value`;
    const res = await h.call('POST', `/subjects/${enc(own)}/versions`, { as: h.department, body: { schema } });
    expect(res.statusCode).toBe(200);
    expect((await h.call('PUT', `/config/${enc(own)}`, { as: h.department, body: { compatibility: 'FULL' } })).statusCode).toBe(200);
    const other = await h.call('POST', `/subjects/${enc(uniqueSubject('not-mine'))}/versions`, { as: h.department, body: { schema } });
    expect(other.statusCode).toBe(403);
    expect((await h.call('PUT', '/config', { as: h.department, body: { compatibility: 'NONE' } })).statusCode).toBe(403);
  });
});

describe('registry: malformed requests', () => {
  let h: Harness;
  let subject: string;
  beforeAll(async () => {
    h = await startRegistry();
    subject = uniqueSubject('malformed');
    await h.call('POST', `/subjects/${enc(subject)}/versions`, { body: { schema } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const s = () => enc(subject);
  const cases: Array<{ name: string; method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: () => string; payload?: string; contentType?: string; code: number }> = [
    { name: 'bad JSON', method: 'POST', path: () => `/subjects/${s()}/versions`, payload: '{"schema": ', code: 400 },
    { name: 'body is an array', method: 'POST', path: () => `/subjects/${s()}/versions`, payload: '[]', code: 42201 },
    { name: 'empty body', method: 'POST', path: () => `/subjects/${s()}/versions`, payload: '', code: 42201 },
    { name: 'missing schema', method: 'POST', path: () => `/subjects/${s()}/versions`, payload: '{"schemaType":"AVRO"}', code: 42201 },
    {
      name: 'schema not a string',
      method: 'POST',
      path: () => `/subjects/${s()}/versions`,
      payload: JSON.stringify({ schema: { type: 'string' } }),
      code: 42201,
    },
    { name: 'schema not JSON', method: 'POST', path: () => `/subjects/${s()}/versions`, payload: JSON.stringify({ schema: 'record Person {' }), code: 42201 },
    {
      name: 'invalid Avro',
      method: 'POST',
      path: () => `/subjects/${s()}/versions`,
      payload: JSON.stringify({ schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"strin"}]}' }),
      code: 42201,
    },
    {
      name: 'bad default',
      method: 'POST',
      path: () => `/subjects/${s()}/versions`,
      payload: JSON.stringify({ schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"int","default":"x"}]}' }),
      code: 42201,
    },
    {
      name: 'unknown schemaType',
      method: 'POST',
      path: () => `/subjects/${s()}/versions`,
      payload: JSON.stringify({ schema: '{"type":"object"}', schemaType: 'JSON' }),
      code: 42201,
    },
    {
      name: 'PROTOBUF',
      method: 'POST',
      path: () => `/subjects/${s()}/versions`,
      payload: JSON.stringify({ schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' }),
      code: 42201,
    },
    {
      name: 'non-empty references',
      method: 'POST',
      path: () => `/subjects/${s()}/versions`,
      payload: JSON.stringify({ schema: '"string"', references: [{ name: 'x', subject: 'y', version: 1 }] }),
      code: 42201,
    },
    {
      name: 'references not an array',
      method: 'POST',
      path: () => `/subjects/${s()}/versions`,
      payload: JSON.stringify({ schema: '"string"', references: 'x' }),
      code: 42201,
    },
    {
      name: 'version not a number in body',
      method: 'POST',
      path: () => `/subjects/${s()}/versions`,
      payload: JSON.stringify({ schema: '"string"', version: 'two' }),
      code: 42202,
    },
    { name: 'bad version "abc"', method: 'GET', path: () => `/subjects/${s()}/versions/abc`, code: 42202 },
    { name: 'version 0', method: 'GET', path: () => `/subjects/${s()}/versions/0`, code: 42202 },
    { name: 'version too big', method: 'GET', path: () => `/subjects/${s()}/versions/99999999999`, code: 42202 },
    { name: 'delete version "abc"', method: 'DELETE', path: () => `/subjects/${s()}/versions/abc`, code: 42202 },
    {
      name: 'compat version "abc"',
      method: 'POST',
      path: () => `/compatibility/subjects/${s()}/versions/abc`,
      payload: JSON.stringify({ schema: '"string"' }),
      code: 42202,
    },
    {
      name: 'compat with bad schema',
      method: 'POST',
      path: () => `/compatibility/subjects/${s()}/versions/latest`,
      payload: JSON.stringify({ schema: '{' }),
      code: 42201,
    },
    { name: 'lookup with bad JSON', method: 'POST', path: () => `/subjects/${s()}`, payload: 'nope', code: 400 },
    { name: 'schema id "x"', method: 'GET', path: () => '/schemas/ids/x', code: 40403 },
    { name: 'schema id negative', method: 'GET', path: () => '/schemas/ids/-1', code: 40403 },
    { name: 'bad compatibility level', method: 'PUT', path: () => `/config/${s()}`, payload: JSON.stringify({ compatibility: 'MOSTLY' }), code: 42203 },
    { name: 'config body a string', method: 'PUT', path: () => '/config', payload: '"FULL"', code: 42203 },
    { name: 'bad mode', method: 'PUT', path: () => `/mode/${s()}`, payload: JSON.stringify({ mode: 'WRITEONLY' }), code: 42204 },
    { name: 'text/plain body', method: 'POST', path: () => `/subjects/${s()}/versions`, payload: 'schema', contentType: 'text/plain', code: 415 },
    { name: 'unknown route', method: 'GET', path: () => '/nothing/here', code: 404 },
    { name: 'unknown method on a route', method: 'PUT', path: () => `/subjects/${s()}/versions`, payload: '{}', code: 404 },
  ];

  it.each(cases)('$name → 4xx with error_code $code', async ({ method, path, payload, contentType, code }) => {
    const headers: Record<string, string> = { authorization: h.authority.auth };
    if (payload !== undefined) headers['content-type'] = contentType ?? 'application/vnd.schemaregistry.v1+json';
    const res = await h.app.inject({ method, url: `/registry${path()}`, headers, ...(payload !== undefined ? { payload } : {}) });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['content-type']).toBe('application/vnd.schemaregistry.v1+json');
    const body = res.json<{ error_code: number; message: string }>();
    expect(body.error_code).toBe(code);
    expect(body.message.length).toBeGreaterThan(0);
    expect(res.body).not.toMatch(/\n\s+at /);
  });

  it('accepts every Confluent content type', async () => {
    for (const contentType of [
      'application/vnd.schemaregistry.v1+json',
      'application/vnd.schemaregistry+json',
      'application/json',
      'application/octet-stream',
      'application/json; charset=utf-8',
    ]) {
      const res = await h.app.inject({
        method: 'POST',
        url: `/registry/subjects/${s()}`,
        headers: { authorization: h.authority.auth, 'content-type': contentType },
        payload: JSON.stringify({ schema }),
      });
      expect(res.statusCode, contentType).toBe(200);
    }
  });
});

describe('registry: Postgres unreachable', () => {
  it('answers 500 with error_code 50001 and a clear message', async () => {
    // Nothing listens on port 1; the authenticator is a stub so only the registry store touches Postgres.
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/hub', connectionTimeoutMillis: 1000 });
    const principal: Principal = { name: 'authority-x', role: 'authority', kafkaUser: 'authority-x' };
    const app = await buildRegistryApp({ pool, authenticator: { verify: async () => principal } });
    try {
      for (const [method, url] of [
        ['GET', '/registry/subjects'],
        ['POST', '/registry/subjects/x-value/versions'],
      ] as const) {
        const res = await app.inject({
          method,
          url,
          headers: { authorization: basicAuth('authority-x', 't'), 'content-type': 'application/json' },
          ...(method === 'POST' ? { payload: JSON.stringify({ schema }) } : {}),
        });
        expect(res.statusCode).toBe(500);
        const body = res.json<{ error_code: number; message: string }>();
        expect(body.error_code).toBe(50001);
        expect(body.message).toMatch(/backend data store.*Postgres is unreachable/);
        expect(res.body).not.toMatch(/\n\s+at /);
      }
    } finally {
      await app.close();
      await pool.end();
    }
  });

  it('answers 50001 when the authenticator cannot reach Postgres', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/hub', connectionTimeoutMillis: 1000 });
    const failing = async (): Promise<Principal | null> => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    };
    const app = await buildRegistryApp({ pool, authenticator: { verify: failing } });
    try {
      const res = await app.inject({ method: 'GET', url: '/registry/subjects', headers: { authorization: basicAuth('a', 'b') } });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ error_code: 50001 });
    } finally {
      await app.close();
      await pool.end();
    }
  });
});
