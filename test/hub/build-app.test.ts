import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testConnection } from '../helpers/kafka.ts';
import { buildApp } from '../../services/hub/build-app.ts';
import { testConfig } from '../helpers/config.ts';
import { testLogger } from '../helpers/logger.ts';
import { HubError } from '../../services/platform/errors.ts';
import type { HubAdmin } from '../../services/platform/kafka/admin.ts';

describe('the hub app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.cleanup());

  it('serves health, docs and metrics without credentials', async () => {
    expect((await t.app.inject('/health/live')).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true }, kafka: { ok: true } } });
    const docs = await t.app.inject('/docs/json');
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).toEqual(expect.arrayContaining(['/api/v1/whoami', '/api/v1/principals']));
    const metrics = await t.app.inject('/metrics');
    expect(metrics.body).toContain('hub_http_requests_total{method="GET",route="/health/live",status="200"}');
  });

  it('keeps /metrics behind a token when HUB_METRICS_TOKEN is set, and reaches Redis with the credentials in REDIS_URL', async () => {
    const user = `hub-test-${Date.now().toString(36)}`;
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    await t.app.redis.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '+@all');
    const locked = await createTestApp({ env: { HUB_METRICS_TOKEN: 'metrics-secret', REDIS_URL: `redis://${user}:${password}@127.0.0.1:6379/0` } });
    try {
      const refused = await locked.app.inject('/metrics');
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'HUB_ERR_UNAUTHENTICATED' });
      expect((await locked.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
      expect((await locked.app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-secret' } })).statusCode).toBe(200);
      expect(await locked.app.redis.call('ACL', 'WHOAMI')).toBe(user);
      expect((await locked.app.inject('/health/ready')).json()).toMatchObject({ checks: { redis: { ok: true } } });
    } finally {
      await locked.cleanup();
      await t.app.redis.call('ACL', 'DELUSER', user);
    }
  });

  it('refuses the API without credentials or with a wrong token, as JSON', async () => {
    const none = await t.app.inject('/api/v1/whoami');
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'HUB_ERR_UNAUTHENTICATED' });
    const wrong = await t.app.inject({ url: '/api/v1/whoami', headers: { authorization: 'Bearer hub_not-a-token' } });
    expect(wrong.statusCode).toBe(401);
  });

  it("checks the caller's role", async () => {
    const consumer = await t.principal('consumer');
    const me = await t.app.inject({ url: '/api/v1/whoami', headers: t.auth(consumer) });
    expect(me.json()).toEqual({ name: consumer.name, role: 'consumer', kafkaUser: consumer.name });
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/principals',
      headers: t.auth(consumer),
      payload: { name: 'sneaky', role: 'authority' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'HUB_ERR_FORBIDDEN' });
  });

  it('lets the authority create a principal and rejects bad input with 4xx JSON', async () => {
    const authority = await t.principal('authority');
    const name = `p-${Date.now().toString(36)}`;
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/principals', headers: t.auth(authority), payload: { name, role: 'department' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name, role: 'department', kafka: { username: name } });
    await t.app.principals.disable(name);

    const cases = [
      { payload: '{"name": ', headers: { 'content-type': 'application/json' }, status: 400 },
      { payload: { name: 'Bad Name', role: 'consumer' }, status: 400 },
      { payload: { name: 'ok-name', role: 'emperor' }, status: 400 },
      { payload: '<name/>', headers: { 'content-type': 'application/xml' }, status: 415 },
      { payload: 'name=x', headers: { 'content-type': 'text/plain' }, status: 400 },
    ];
    for (const c of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/principals', headers: { ...t.auth(authority), ...c.headers }, payload: c.payload });
      expect(res.statusCode, JSON.stringify(c.payload)).toBe(c.status);
      expect(res.json().code).toMatch(/^HUB_ERR_/);
    }
    const unknown = await t.app.inject({ url: '/nowhere' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'HUB_ERR_NOT_FOUND' });
  });

  it('answers 503 with Retry-After, not 500, when Kafka fails behind a request', async () => {
    const failingAdmin = {
      ...t.app.kafka.admin,
      upsertUser: async () => {
        throw new HubError('HUB_ERR_KAFKA_UNAVAILABLE', 'Kafka failed to set the SCRAM credential: broker down');
      },
    } satisfies HubAdmin;
    const other = await buildApp(t.config, {
      log: testLogger(),
      kafka: testConnection(),
      service: { name: 'hub-system', token: 'unused' },
      pool: t.db.pool,
      admin: failingAdmin,
    });
    try {
      const authority = await t.principal('authority');
      const res = await other.inject({
        method: 'POST',
        url: '/api/v1/principals',
        headers: t.auth(authority),
        payload: { name: `p-${Date.now().toString(36)}x`, role: 'consumer' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.json()).toMatchObject({ code: 'HUB_ERR_KAFKA_UNAVAILABLE' });
    } finally {
      await other.close();
    }
  });

  it('fails to build with one clear error when Redis is unreachable', async () => {
    const config = testConfig({ REDIS_URL: 'redis://127.0.0.1:1/0', DATABASE_SCHEMA: t.db.schema });
    await expect(
      buildApp(config, { log: testLogger(), kafka: testConnection(), service: { name: 'hub-system', token: 'x' }, pool: t.db.pool }),
    ).rejects.toThrow(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0/);
  });
});
