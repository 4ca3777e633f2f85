import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { person } from '../helpers/people.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { createVerificationLimits, type LimitOverride, type VerificationLimits } from '../../services/sharing/rate-limits.ts';
import type { VerificationAlert } from '../../services/sharing/verification-alerts.ts';
import type { VerifyResult } from '../../services/sharing/verification.ts';
import { HubError } from '../../services/platform/errors.ts';

const dayMs = 86_400_000;
const isoDay = (days: number) => new Date(days * dayMs).toISOString().slice(0, 10);

describe('verification (可用不可见)', () => {
  let t: TestApp;
  let limits: VerificationLimits;
  const people = [1, 2, 3, 4, 5].map((n) => person(n));
  const p1 = people[0]!;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const psb = await t.department('psb');
    await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name', 'gender', 'birth_date'] });
    await t.startCleansing();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/base.natural_person/records', headers: t.auth(psb), payload: { records: people } });
    expect(res.statusCode, res.body).toBe(200);
    await t.landed('base.natural_person', people.length);
    limits = createVerificationLimits({ redis: t.app.redis, settings: t.config.verification });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const consumer = async (override?: LimitOverride) => {
    const c = await t.principal('consumer');
    if (override) await limits.setOverride(c.name, override);
    await t.grantVerification(c, 'base.natural_person');
    return c;
  };
  const verify = (who: PrincipalCredentials, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: t.auth(who), payload });
  /** Stored values of person 1 that no answer may contain. */
  const secrets = [
    p1.name,
    p1.household_address,
    p1.residence_address,
    p1.phone,
    p1.marital_status,
    isoDay(p1.birth_date as number),
    String(p1.birth_date),
  ] as string[];
  const leaksNothing = (body: string) => {
    for (const s of secrets) expect(body, `leaks ${s}`).not.toContain(s);
  };

  it('answers match or mismatch per field after normalization, without the stored values', async () => {
    const c = await consumer();
    const right = await verify(c, {
      dataset: 'base.natural_person',
      key: p1.id_number,
      claims: { name: ' 居民1 ', birth_date: isoDay(p1.birth_date as number), phone: '１３９０５５１２３４５', gender: 'MALE' },
    });
    expect(right.statusCode, right.body).toBe(200);
    expect(right.json()).toEqual({
      dataset: 'base.natural_person',
      key: p1.id_number,
      results: { name: 'match', birth_date: 'match', phone: 'match', gender: 'match' },
    });

    const wrong = await verify(c, {
      dataset: 'base.natural_person',
      key: p1.id_number,
      claims: { name: '居民2', birth_date: '1999-01-01', marital_status: 'DIVORCED', household_address: '合肥市' },
    });
    expect(wrong.statusCode, wrong.body).toBe(200);
    expect(wrong.json<VerifyResult>().results).toEqual({ name: 'mismatch', birth_date: 'mismatch', marital_status: 'mismatch', household_address: 'mismatch' });
    leaksNothing(wrong.body);
  });

  it('writes every call to the audit trail, with a hash of the key and never a value', async () => {
    const c = await consumer();
    const key = person(1).id_number as string;
    expect((await verify(c, { dataset: 'base.natural_person', key, claims: { name: '居民1' } })).statusCode).toBe(200);
    const { records } = await t.app.audit.list({ action: 'verification.called', actor: c.name });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: c.name, actorRole: 'consumer', method: 'verification', datasets: ['base.natural_person'], fields: ['name'] });
    // Only the key's hash: no verdict that would tell whether the key exists.
    expect(Object.keys(records[0]!.detail)).toEqual(['keyHash']);
    expect(JSON.stringify(records[0])).not.toContain(key);
    expect(JSON.stringify(records[0])).not.toContain('居民1');
  });

  it('answers a key that is not there exactly as a known key whose every claim is wrong', async () => {
    const c = await consumer();
    const claims = { name: '居民999', gender: 'FEMALE', birth_date: '1970-01-01' };
    const absent = person(999).id_number as string;
    const unknown = await verify(c, { dataset: 'base.natural_person', key: absent, claims });
    const wrong = await verify(c, { dataset: 'base.natural_person', key: p1.id_number, claims });
    expect(unknown.statusCode, unknown.body).toBe(200);
    expect(wrong.statusCode).toBe(unknown.statusCode);
    expect(wrong.json()).toEqual({
      dataset: 'base.natural_person',
      key: p1.id_number,
      results: { name: 'mismatch', gender: 'mismatch', birth_date: 'mismatch' },
    });
    expect(unknown.body.replaceAll(absent, '<key>')).toBe(wrong.body.replaceAll(p1.id_number as string, '<key>'));
    expect(unknown.headers['content-length']).toBe(wrong.headers['content-length']);

    const { records } = await t.app.audit.list({ action: 'verification.called', actor: c.name });
    expect(records).toHaveLength(2);
    expect(records.map((r) => Object.keys(r.detail))).toEqual([['keyHash'], ['keyHash']]);
  });

  it('refuses unknown fields and unusable claims with 400 naming them, leaking nothing', async () => {
    const c = await consumer();
    const unknown = await verify(c, { dataset: 'base.natural_person', key: p1.id_number, claims: { name: '居民1', salary: 1, shoe_size: 42 } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'HUB_ERR_VALIDATION' });
    expect(unknown.json<{ message: string }>().message).toMatch(/salary, shoe_size/);
    const badDate = await verify(c, { dataset: 'base.natural_person', key: p1.id_number, claims: { birth_date: '1980-13-45' } });
    expect(badDate.statusCode).toBe(400);
    expect(badDate.json<{ message: string }>().message).toMatch(/birth_date: expected a date YYYY-MM-DD/);
    for (const r of [unknown, badDate]) leaksNothing(r.body);
    const noDataset = await verify(c, { dataset: 'base.no_such_thing', key: '1', claims: { a: 1 } });
    expect(noDataset.statusCode).toBe(404);
  });

  it('refuses roles other than consumer and department, and principals without a verification grant', async () => {
    for (const role of ['steward', 'auditor', 'authority'] as const) {
      const who = await t.principal(role);
      const res = await verify(who, { dataset: 'base.natural_person', key: p1.id_number, claims: { name: '居民1' } });
      expect(res.statusCode).toBe(403);
    }
    const ungranted = await t.principal('consumer');
    const refused = await verify(ungranted, { dataset: 'base.natural_person', key: p1.id_number, claims: { name: '居民1' } });
    expect(refused.statusCode).toBe(403);
    leaksNothing(refused.body);
    const narrow = await t.principal('consumer');
    await t.grantVerification(narrow, 'base.natural_person', ['gender']);
    expect((await verify(narrow, { dataset: 'base.natural_person', key: p1.id_number, claims: { gender: p1.gender } })).statusCode).toBe(200);
    expect((await verify(narrow, { dataset: 'base.natural_person', key: p1.id_number, claims: { gender: p1.gender, name: '居民1' } })).statusCode).toBe(403);
  });

  it('refuses a burst above the rate with 429, the limit named and Retry-After', async () => {
    const c = await consumer({ ratePerSecond: 3 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => verify(c, { dataset: 'base.natural_person', key: p1.id_number, claims: { name: '居民1' } })),
    );
    const refused = answers.filter((r) => r.statusCode === 429);
    expect(answers.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused[0]!.json()).toMatchObject({ code: 'HUB_ERR_RATE_LIMITED', details: { limit: 'burst' } });
    expect(refused[0]!.json<{ message: string }>().message).toMatch(/burst rate limit/);
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('refuses past the daily quota until China midnight', async () => {
    const c = await consumer({ dailyQuota: 3 });
    for (let i = 0; i < 3; i++)
      expect((await verify(c, { dataset: 'base.natural_person', key: people[i]!.id_number, claims: { gender: 'MALE' } })).statusCode).toBe(200);
    const over = await verify(c, { dataset: 'base.natural_person', key: p1.id_number, claims: { gender: 'MALE' } });
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: 'HUB_ERR_RATE_LIMITED', details: { limit: 'daily' } });
    expect(over.json<{ message: string }>().message).toMatch(/daily verification quota/);
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    // Another principal is not affected.
    const other = await consumer();
    expect((await verify(other, { dataset: 'base.natural_person', key: p1.id_number, claims: { gender: 'MALE' } })).statusCode).toBe(200);
  });

  it("takes a principal's own crawl-keys override for distinct unrelated keys", async () => {
    const c = await consumer({ ratePerSecond: 1000, crawlKeys: 10 });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++)
      statuses.push((await verify(c, { dataset: 'base.natural_person', key: person(100 + i * 123_457).id_number, claims: { gender: 'MALE' } })).statusCode);
    expect(statuses).toEqual([...Array<number>(10).fill(200), ...Array<number>(5).fill(429)]);
  });

  it('blocks sequential enumeration with 429 and alerts the authority once', async () => {
    const c = await consumer({ ratePerSecond: 1000 });
    const statuses: number[] = [];
    let last = '';
    for (let i = 0; i < 60; i++) {
      const res = await verify(c, { dataset: 'base.natural_person', key: `3401041990010100${String(i).padStart(2, '0')}`, claims: { gender: 'MALE' } });
      statuses.push(res.statusCode);
      last = res.body;
    }
    expect(statuses.slice(0, 50).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(51).every((s) => s === 429)).toBe(true);
    expect(JSON.parse(last)).toMatchObject({ code: 'HUB_ERR_RATE_LIMITED', details: { limit: 'crawl' } });
    expect(JSON.parse(last).message).toMatch(/crawl protection/);
    // Blocked for every key, not just the sequence.
    expect((await verify(c, { dataset: 'base.natural_person', key: p1.id_number, claims: { gender: 'MALE' } })).statusCode).toBe(429);

    const authority = await t.principal('authority');
    const list = await t.app.inject({ url: `/api/v1/verify/alerts?principal=${c.name}`, headers: t.auth(authority) });
    expect(list.statusCode, list.body).toBe(200);
    const alerts = list.json<VerificationAlert[]>();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ principal: c.name, status: 'open', datasets: ['base.natural_person'], detections: 1, distinctKeys: 51 });
    expect(alerts[0]!.triggers).toContain('distinct-keys');
    expect((await t.app.inject({ url: '/api/v1/verify/alerts', headers: t.auth(c) })).statusCode).toBe(403);
  });

  it('counts calls by dataset and outcome on /metrics', async () => {
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toMatch(/hub_verification_requests_total\{dataset="base.natural_person",outcome="match"\} \d+/);
    expect(metrics).toMatch(/hub_verification_requests_total\{dataset="base.natural_person",outcome="limited_crawl"\} \d+/);
    // Unknown keys were verified above: they count as mismatches, or the public /metrics would tell.
    expect(metrics).toMatch(/hub_verification_requests_total\{dataset="base.natural_person",outcome="mismatch"\} \d+/);
    expect(metrics).not.toMatch(/not_found/);
  });

  it('fails closed when Redis is unreachable', async () => {
    const down = new Redis('redis://127.0.0.1:1/0', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const offline = createVerificationLimits({ redis: down, settings: t.config.verification });
      for (const call of [offline.check({ principal: 'someone', key: 'k', notShared: false }), offline.record({ principal: 'someone', mismatch: true })]) {
        const err = await call.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HubError);
        expect((err as HubError).code).toBe('HUB_ERR_REDIS_UNAVAILABLE');
      }
    } finally {
      down.disconnect();
    }
  });
});
