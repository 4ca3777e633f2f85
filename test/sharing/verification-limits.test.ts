import { createVerificationGrantStore } from '../../services/sharing/verification-grants.ts';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { uniqueName } from '../helpers/kafka.ts';
import { testLogger } from '../helpers/logger.ts';
import { person } from '../helpers/people.ts';
import { residentIdCheckChar } from '../../services/cleansing/rules/resident-id.ts';
import { installErrorHandler } from '../../services/platform/http/error-handler.ts';
import { installBearerAuth } from '../../services/principals/auth-plugin.ts';
import { metricsPlugin } from '../../services/platform/http/metrics.ts';
import { chinaDate } from '../../services/platform/calendar/working-days.ts';
import { loadOrCreateSecrets } from '../../services/platform/secrets.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { createVerificationLimits, type LimitOverride, type LimitSettings, type VerificationLimits } from '../../services/sharing/rate-limits.ts';
import type { VerificationAlert } from '../../services/sharing/verification-alerts.ts';
import { hashKeyForAudit, verificationRoutes } from '../../services/sharing/verification-routes.ts';

const dayMs = 86_400_000;
const isoDay = (days: number) => new Date(days * dayMs).toISOString().slice(0, 10);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Valid-looking resident ids that differ in region, birth date and sequence: nothing like a sequence (seeded, so runs repeat). */
function candidateIds(count: number, seed: number): string[] {
  const regions = ['110101', '310104', '440305', '340104', '320106', '510107', '420102', '330106', '610113', '210102'];
  let s = seed >>> 0;
  const next = (n: number) => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
  const ids = new Set<string>();
  while (ids.size < count) {
    const birth = new Date(Date.UTC(1950, 0, 1) + next(20_000) * dayMs).toISOString().slice(0, 10).replaceAll('-', '');
    const first17 = `${regions[next(regions.length)]}${birth}${String(next(1000)).padStart(3, '0')}`;
    ids.add(first17 + residentIdCheckChar(first17));
  }
  return [...ids];
}

const fullWidth = (text: string) => text.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

describe('verification limits against oracle use', () => {
  let t: TestApp;
  let limits: VerificationLimits;
  let authority: PrincipalCredentials;
  const people = [1, 2, 3, 4, 5, 6].map((n) => person(n));

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const psb = await t.department('psb');
    await t.declare(psb, { dataset: 'base.natural_person', authoritativeFields: ['name', 'gender', 'birth_date'] });
    await t.startCleansing();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/datasets/base.natural_person/records', headers: t.auth(psb), payload: { records: people } });
    expect(res.statusCode, res.body).toBe(200);
    await t.landed('base.natural_person', people.length);
    limits = createVerificationLimits({ redis: t.app.redis, settings: t.config.verification });
    authority = await t.principal('authority');
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const consumer = async (override?: LimitOverride) => {
    const c = await t.principal('consumer');
    if (override) await limits.setOverride(c.name, override);
    await t.grantVerification(c, 'base.natural_person');
    return c;
  };
  const verify = (who: PrincipalCredentials, payload: Record<string, unknown>, app: FastifyInstance = t.app) =>
    app.inject({ method: 'POST', url: '/api/v1/verify', headers: t.auth(who), payload });
  const alertsOf = async (principal: string) => {
    const res = await t.app.inject({ url: `/api/v1/verify/alerts?principal=${principal}`, headers: t.auth(authority) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<VerificationAlert[]>();
  };
  const claimsOf = (p: Record<string, unknown>) => ({ name: p.name, gender: p.gender, birth_date: isoDay(p.birth_date as number) });

  it('blocks 1,000 unrelated candidate ids well before the last, with Retry-After and a distinct-keys alert', async () => {
    const { crawlKeys, crawlBlockMs } = t.config.verification;
    expect(crawlKeys).toBeLessThan(1000);
    const ids = candidateIds(1000, 42);
    // Neither a shared prefix nor neighbouring tails: what the old sequential detection let through.
    expect(new Set(ids.map((id) => id.slice(0, 14))).size).toBeGreaterThan(990);
    const c = await consumer({ ratePerSecond: 100_000 });
    const statuses: number[] = [];
    let firstRefusal: Awaited<ReturnType<typeof verify>> | undefined;
    for (const id of ids) {
      const res = await verify(c, { dataset: 'base.natural_person', key: id, claims: { gender: 'MALE' } });
      statuses.push(res.statusCode);
      if (res.statusCode !== 200 && !firstRefusal) firstRefusal = res;
    }
    expect(statuses.indexOf(429)).toBe(crawlKeys);
    expect(statuses.slice(0, crawlKeys).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(crawlKeys).every((s) => s === 429)).toBe(true);
    expect(firstRefusal!.json()).toMatchObject({ code: 'HUB_ERR_RATE_LIMITED', details: { limit: 'crawl' } });
    expect(Number(firstRefusal!.headers['retry-after'])).toBe(Math.ceil(crawlBlockMs / 1000));

    const alerts = await alertsOf(c.name);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ principal: c.name, status: 'open', datasets: ['base.natural_person'], detections: 1, distinctKeys: crawlKeys + 1 });
    expect(alerts[0]!.triggers).toContain('distinct-keys');
    expect(alerts[0]!.reason).toMatch(/distinct-keys/);
  });

  it('refuses a key claimed more than the per-key limit, however it is spelled, while other keys still work', async () => {
    const { claimsPerKeyPerDay } = t.config.verification;
    const c = await consumer({ ratePerSecond: 1000 });
    const id = people[0]!.id_number as string;
    const spellings = [id, fullWidth(id), ` ${id.slice(0, 6)} ${id.slice(6)} `];
    const guesses = Array.from({ length: claimsPerKeyPerDay }, (_, i) => isoDay((people[0]!.birth_date as number) + i - 5));
    for (const [i, birth] of guesses.entries()) {
      const res = await verify(c, { dataset: 'base.natural_person', key: spellings[i % spellings.length], claims: { birth_date: birth } });
      expect(res.statusCode, `claim ${i}: ${res.body}`).toBe(200);
    }
    const over = await verify(c, { dataset: 'base.natural_person', key: id, claims: { birth_date: isoDay(people[0]!.birth_date as number) } });
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: 'HUB_ERR_RATE_LIMITED', details: { limit: 'key-claims' } });
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect((await verify(c, { dataset: 'base.natural_person', key: fullWidth(id), claims: { gender: 'MALE' } })).statusCode).toBe(429);

    // Not a block and not an alert: another key is answered.
    const other = await verify(c, { dataset: 'base.natural_person', key: people[1]!.id_number, claims: claimsOf(people[1]!) });
    expect(other.statusCode, other.body).toBe(200);
    expect(await alertsOf(c.name)).toEqual([]);
  });

  it('lets a mostly-matching verifier through but blocks and alerts on a high mismatch rate', async () => {
    const { mismatchMinCalls, mismatchRate, claimsPerKeyPerDay } = t.config.verification;
    expect(people.length * (claimsPerKeyPerDay - 1)).toBeGreaterThan(mismatchMinCalls);
    expect(mismatchRate).toBeLessThan(0.7);

    // 30% of its calls have a mismatch, over more than the minimum number of calls: never blocked.
    const honest = await consumer({ ratePerSecond: 1000 });
    for (const p of people) {
      for (let i = 0; i < claimsPerKeyPerDay; i++) {
        const claims = i < 3 ? { ...claimsOf(p), name: '别人' } : claimsOf(p);
        const res = await verify(honest, { dataset: 'base.natural_person', key: p.id_number, claims });
        expect(res.statusCode, res.body).toBe(200);
      }
    }
    expect(await alertsOf(honest.name)).toEqual([]);

    // Guessing birth dates of six people: every call a mismatch, few distinct keys.
    const guesser = await consumer({ ratePerSecond: 1000 });
    const statuses: number[] = [];
    for (const p of people) {
      for (let i = 1; i <= claimsPerKeyPerDay - 1; i++) {
        const res = await verify(guesser, { dataset: 'base.natural_person', key: p.id_number, claims: { birth_date: isoDay((p.birth_date as number) + i) } });
        statuses.push(res.statusCode);
      }
    }
    // Judged once the minimum number of calls is answered: the next one is refused.
    const answered = mismatchMinCalls;
    expect(statuses.slice(0, answered).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(answered).every((s) => s === 429)).toBe(true);
    expect(statuses.length).toBeGreaterThan(answered);
    // Blocked: even a right claim on a fresh key is refused.
    const after = await verify(guesser, { dataset: 'base.natural_person', key: person(7).id_number, claims: { gender: 'MALE' } });
    expect(after.statusCode).toBe(429);
    expect(after.json()).toMatchObject({ details: { limit: 'crawl' } });

    const alerts = await alertsOf(guesser.name);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ principal: guesser.name, triggers: ['mismatch-rate'], calls: answered, mismatchedCalls: answered, detections: 1 });
    expect(alerts[0]!.reason).toMatch(/^mismatch-rate: /);
  });

  describe('not-shared datasets', () => {
    const settings = (): LimitSettings => ({
      ...t.config.verification,
      ratePerSecond: 1000,
      dailyQuota: 100,
      crawlKeys: 20,
      notSharedCrawlKeys: 5,
      notSharedDailyQuota: 8,
      claimsPerKeyPerDay: 10,
    });
    const keys = (n: number) => candidateIds(n, n * 7);

    it('trip crawl protection on fewer distinct keys', async () => {
      const l = createVerificationLimits({ redis: t.app.redis, settings: settings() });
      const shared = uniqueName('shared');
      for (const key of keys(12)) expect((await l.check({ principal: shared, key, notShared: false })).allowed).toBe(true);

      const notShared = uniqueName('not-shared');
      const decisions = [];
      for (const key of keys(7)) decisions.push(await l.check({ principal: notShared, key, notShared: true }));
      expect(decisions.slice(0, 5).every((d) => d.allowed)).toBe(true);
      expect(decisions[5]).toMatchObject({ allowed: false, limit: 'crawl', crawl: { triggers: ['distinct-keys'], distinctKeys: 6 } });
      // Blocked, and no second detection while blocked.
      expect(decisions[6]).toMatchObject({ allowed: false, limit: 'crawl', crawl: null });
    });

    it('keep their lower crawl limit when an override raises the normal one', async () => {
      const l = createVerificationLimits({ redis: t.app.redis, settings: settings() });
      const batch = uniqueName('batch');
      await l.setOverride(batch, { crawlKeys: 1000 });
      for (const key of keys(30)) expect((await l.check({ principal: batch, key, notShared: false })).allowed).toBe(true);
      const decisions = [];
      for (const key of candidateIds(6, 99)) decisions.push(await l.check({ principal: batch, key, notShared: true }));
      expect(decisions.slice(0, 5).every((d) => d.allowed)).toBe(true);
      expect(decisions[5]).toMatchObject({ allowed: false, limit: 'crawl' });
    });

    it('have a lower daily quota, which leaves shared verification alone', async () => {
      const l = createVerificationLimits({ redis: t.app.redis, settings: settings() });
      const p = uniqueName('quota');
      const few = keys(4);
      for (let i = 0; i < 8; i++) expect((await l.check({ principal: p, key: few[i % 4]!, notShared: true })).allowed, `call ${i}`).toBe(true);
      expect(await l.check({ principal: p, key: few[0]!, notShared: true })).toMatchObject({ allowed: false, limit: 'daily' });
      expect(await l.check({ principal: p, key: few[0]!, notShared: false })).toMatchObject({ allowed: true, remainingToday: 100 - 9 });
    });
  });

  describe('key hashes', () => {
    it('are not a plain SHA-256 of the key in the audit trail', async () => {
      const c = await consumer();
      const key = people[2]!.id_number as string;
      for (let i = 0; i < 2; i++) expect((await verify(c, { dataset: 'base.natural_person', key, claims: { gender: 'MALE' } })).statusCode).toBe(200);
      const { records } = await t.app.audit.list({ action: 'verification.called', actor: c.name });
      expect(records).toHaveLength(2);
      const hashes = records.map((r) => r.detail.keyHash);
      expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(hashes[1]).toBe(hashes[0]);
      expect(hashes[0]).not.toBe(sha256(key));
    });

    it('are HMAC-SHA256 under the configured secret, in the audit trail and in Redis', async () => {
      const secret = randomBytes(32).toString('hex');
      const app = Fastify();
      installErrorHandler(app);
      await app.register(metricsPlugin);
      await app.register(
        async (api) => {
          installBearerAuth(api, t.app.authenticator);
          await api.register(verificationRoutes, {
            config: t.config,
            catalog: t.app.catalog,
            pool: t.db.pool,
            redis: t.app.redis,
            log: testLogger(),
            audit: t.app.audit,
            keyHashSecret: secret,
            canVerify: (p, d, f) => createVerificationGrantStore({ pool: t.db.pool }).covers(p.name, d, f),
          });
        },
        { prefix: '/api/v1' },
      );
      try {
        const c = await consumer();
        const key = people[3]!.id_number as string;
        const res = await verify(c, { dataset: 'base.natural_person', key, claims: claimsOf(people[3]!) }, app);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json()).toEqual({ dataset: 'base.natural_person', key, results: { name: 'match', gender: 'match', birth_date: 'match' } });

        const { records } = await t.app.audit.list({ action: 'verification.called', actor: c.name });
        expect(records).toHaveLength(1);
        const hmac = createHmac('sha256', secret).update(key).digest('hex');
        expect(records[0]!.detail).toEqual({ keyHash: hmac });
        expect(hashKeyForAudit(secret, key)).toBe(hmac);
        expect(hmac).not.toBe(sha256(key));

        // Redis counts claims per key under the same HMAC: neither the key nor its plain hash is there.
        const claimed = await t.app.redis.hkeys(`verify:{${c.name}}:claims:${chinaDate(new Date())}`);
        expect(claimed).toEqual([createHmac('sha256', secret).update(key).digest('base64url').slice(0, 22)]);
        const plain = createHash('sha256').update(key).digest('base64url').slice(0, 22);
        const stored = await t.app.redis.zrange(`verify:{${c.name}}:keys`, '0', '-1');
        expect(stored).toHaveLength(1);
        expect(stored).not.toContain(plain);
        expect(stored).not.toContain(key);
      } finally {
        await app.close();
      }
    });

    it('use a secret generated on first start and added to an older secrets file', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hub-secrets-'));
      try {
        const first = await loadOrCreateSecrets(dir, ['hub-svc']);
        expect(first.keyHashSecret).toMatch(/^[0-9a-f]{64}$/);
        expect((await loadOrCreateSecrets(dir, ['hub-svc'])).keyHashSecret).toBe(first.keyHashSecret);

        const { keyHashSecret: _dropped, ...older } = first;
        await writeFile(join(dir, 'secrets.json'), JSON.stringify(older));
        const upgraded = await loadOrCreateSecrets(dir, ['hub-svc']);
        expect(upgraded).toMatchObject(older);
        expect(upgraded.keyHashSecret).toMatch(/^[0-9a-f]{64}$/);
        expect(upgraded.keyHashSecret).not.toBe(first.keyHashSecret);
        expect(JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8'))).toMatchObject({ keyHashSecret: upgraded.keyHashSecret });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
