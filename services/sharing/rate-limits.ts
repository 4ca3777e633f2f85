import { createHmac, randomBytes } from 'node:crypto';
import type { Redis } from '../platform/redis.ts';
import { HubError, errorMessage } from '../platform/errors.ts';
import { chinaDate } from '../platform/calendar/working-days.ts';

export type LimitName = 'burst' | 'daily' | 'key-claims' | 'crawl';
/** What made a principal look like it was extracting data through verification. */
export type CrawlTrigger = 'distinct-keys' | 'mismatch-rate';

export interface LimitSettings {
  /** Token bucket: this many tokens, refilled at this many per second. */
  ratePerSecond: number;
  /** Requests per China date. */
  dailyQuota: number;
  /** The sliding window of both crawl triggers (ms). */
  crawlWindowMs: number;
  /** More distinct keys than this in the window is crawling, whatever the keys look like. */
  crawlKeys: number;
  crawlBlockMs: number;
  /** Verifications of one key per China date: repeated claims would guess a value (a birth date) one try at a time. */
  claimsPerKeyPerDay: number;
  /** Requests on not-shared datasets per China date, within dailyQuota. */
  notSharedDailyQuota: number;
  /** Distinct keys of not-shared datasets in the window; never more than crawlKeys. */
  notSharedCrawlKeys: number;
  /** Answered verifications in the window before the mismatch rate counts. */
  mismatchMinCalls: number;
  /** More than this share (0..1) of answered verifications in the window with any mismatch is crawling. */
  mismatchRate: number;
}

/** A principal's own limits, set by the authority (e.g. a batch-verification system); the rest stay default. */
export type LimitOverride = Partial<Pick<LimitSettings, 'ratePerSecond' | 'dailyQuota' | 'crawlKeys' | 'claimsPerKeyPerDay' | 'mismatchMinCalls'>>;

export interface CrawlDetected {
  triggers: CrawlTrigger[];
  distinctKeys: number;
  /** Answered verifications in the window, and how many of them had a mismatch. */
  calls: number;
  mismatches: number;
}

export type LimitDecision = { allowed: true; remainingToday: number } | { allowed: false; limit: LimitName; retryAfterMs: number; crawl: CrawlDetected | null };

export interface LimitCheck {
  principal: string;
  /** The business key as the landing table holds it (normalized), so that spellings of one key count as one. */
  key: string;
  /** The dataset is not shared (verification only): lower limits apply. */
  notShared: boolean;
}

export interface VerificationLimits {
  /** Counts one verification of `key` by `principal` and says whether it may go ahead. */
  check(request: LimitCheck): Promise<LimitDecision>;
  /** Remembers an answered verification for the mismatch rate; judged by the principal's next check. */
  record(outcome: { principal: string; mismatch: boolean }): Promise<void>;
  setOverride(principal: string, override: LimitOverride): Promise<void>;
  clearOverride(principal: string): Promise<void>;
}

const dayMs = 86_400_000;
const chinaOffsetMs = 8 * 60 * 60 * 1000;

/**
 * One round trip, atomic: a refused request consumes nothing; an accepted one takes a token, counts
 * against today's quotas and the key's claims, and is remembered for crawl detection. Keys are
 * stored as HMACs only, so Redis never holds the business keys a principal asked about.
 * KEYS: bucket, day counter, not-shared day counter, claims per key (hash), distinct keys (zset),
 *   not-shared distinct keys (zset), answered calls (zset), mismatched calls (zset), block, override (hash).
 * ARGV: now, rate, daily quota, window, crawl keys, block ms, ms to China midnight, key hash, not shared (0/1),
 *   not-shared daily quota, not-shared crawl keys, claims per key, mismatch min calls, mismatch rate.
 * Reply: outcome, remaining today or retry-after ms, distinct keys, calls, mismatched calls, triggers.
 */
const script = `
local now = tonumber(ARGV[1])
local ov = redis.call('HMGET', KEYS[10], 'ratePerSecond', 'dailyQuota', 'crawlKeys', 'claimsPerKeyPerDay', 'mismatchMinCalls')
local claimsPerKey = tonumber(ov[4]) or tonumber(ARGV[12])
local mismatchMinCalls = tonumber(ov[5]) or tonumber(ARGV[13])
local rate = tonumber(ov[1]) or tonumber(ARGV[2])
local quota = tonumber(ov[2]) or tonumber(ARGV[3])
local crawlKeys = tonumber(ov[3]) or tonumber(ARGV[5])
local window = tonumber(ARGV[4])
local blockMs = tonumber(ARGV[6])
local toMidnight = tonumber(ARGV[7])
local key = ARGV[8]
local notShared = ARGV[9] == '1'
local blocked = redis.call('PTTL', KEYS[9])
if blocked > 0 then return {'crawl', blocked, 0, 0, 0, ''} end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or rate
local ts = tonumber(b[2]) or now
tokens = math.min(rate, tokens + math.max(0, now - ts) * rate / 1000)
if tokens < 1 then return {'burst', math.ceil((1 - tokens) * 1000 / rate), 0, 0, 0, ''} end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used >= quota then return {'daily', toMidnight, 0, 0, 0, ''} end
if notShared and tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[10]) then return {'daily', toMidnight, 0, 0, 0, ''} end
if tonumber(redis.call('HGET', KEYS[4], key) or '0') >= claimsPerKey then return {'key-claims', toMidnight, 0, 0, 0, ''} end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 2000)
local dayTtl = toMidnight + 3600000
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], dayTtl)
if notShared then
  redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], dayTtl)
end
redis.call('HINCRBY', KEYS[4], key, 1)
redis.call('PEXPIRE', KEYS[4], dayTtl)
local since = now - window
local function seen(zset)
  redis.call('ZREMRANGEBYSCORE', zset, '-inf', since)
  redis.call('ZADD', zset, now, key)
  redis.call('PEXPIRE', zset, window)
  return redis.call('ZCARD', zset)
end
local distinct = seen(KEYS[5])
local triggers = {}
if distinct > crawlKeys then table.insert(triggers, 'distinct-keys') end
if notShared then
  local nsDistinct = seen(KEYS[6])
  if #triggers == 0 and nsDistinct > math.min(crawlKeys, tonumber(ARGV[11])) then
    table.insert(triggers, 'distinct-keys')
    distinct = nsDistinct
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', since)
redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', since)
local calls = redis.call('ZCARD', KEYS[7])
local misses = redis.call('ZCARD', KEYS[8])
if calls >= mismatchMinCalls and misses > calls * tonumber(ARGV[14]) then table.insert(triggers, 'mismatch-rate') end
if #triggers > 0 then
  redis.call('SET', KEYS[9], '1', 'PX', blockMs)
  redis.call('DEL', KEYS[5], KEYS[6], KEYS[7], KEYS[8])
  return {'crawl', blockMs, distinct, calls, misses, table.concat(triggers, ',')}
end
return {'ok', quota - used - 1, distinct, calls, misses, ''}
`;

type ScriptReply = [string, number, number, number, number, string];
type LimitCommand = (...args: (string | number)[]) => Promise<ScriptReply>;
const commandName = 'hubVerificationLimit';

/** An answered call (and a mismatch) in the crawl window, in one round trip. KEYS: calls, mismatches. ARGV: now, member, window, mismatch (0/1). */
const recordScript = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 1
`;
const recordName = 'hubVerificationRecord';

/** Used when no secret is given: counting still works within this process, and nothing guessable is stored. */
const processSecret = randomBytes(32).toString('hex');

function msToChinaMidnight(now: number): number {
  const dayStart = Math.floor((now + chinaOffsetMs) / dayMs) * dayMs - chinaOffsetMs;
  return dayStart + dayMs - now;
}

/**
 * Per-principal limits of the verification interface, in Redis so that every hub instance shares
 * them (with the same `keySecret`). They are a security control against bulk extraction: when Redis
 * cannot answer, check() and record() fail closed (HUB_ERR_REDIS_UNAVAILABLE) rather than letting
 * verification run unmetered.
 */
export function createVerificationLimits({
  redis,
  settings,
  keySecret = processSecret,
  now = Date.now,
}: {
  redis: Redis;
  settings: LimitSettings;
  /** HMAC key for the business keys stored in Redis; every hub instance needs the same one. */
  keySecret?: string;
  now?: () => number;
}): VerificationLimits {
  if (!(commandName in redis)) redis.defineCommand(commandName, { numberOfKeys: 10, lua: script });
  if (!(recordName in redis)) redis.defineCommand(recordName, { numberOfKeys: 2, lua: recordScript });
  const run = (redis as unknown as Record<typeof commandName, LimitCommand>)[commandName].bind(redis);
  const record = (redis as unknown as Record<typeof recordName, (...args: (string | number)[]) => Promise<unknown>>)[recordName].bind(redis);
  // The hash tag keeps a principal's keys in one cluster slot, as a script needs.
  const keyOf = (principal: string, part: string) => `verify:{${principal}}:${part}`;
  const keysOf = (principal: string, date: string) =>
    ['bucket', `day:${date}`, `day-ns:${date}`, `claims:${date}`, 'keys', 'keys-ns', 'calls', 'mismatches', 'block', 'override'].map((part) =>
      keyOf(principal, part),
    );
  const hash = (key: string) => createHmac('sha256', keySecret).update(key).digest('base64url').slice(0, 22);
  const unavailable = (err: unknown) =>
    new HubError('HUB_ERR_REDIS_UNAVAILABLE', `verification limits cannot be checked (${errorMessage(err)}); verification is refused until Redis answers`, {
      cause: err,
    });

  return {
    async check({ principal, key, notShared }) {
      const at = now();
      let reply: ScriptReply;
      try {
        reply = await run(
          ...keysOf(principal, chinaDate(new Date(at))),
          at,
          settings.ratePerSecond,
          settings.dailyQuota,
          settings.crawlWindowMs,
          settings.crawlKeys,
          settings.crawlBlockMs,
          msToChinaMidnight(at),
          hash(key),
          notShared ? 1 : 0,
          settings.notSharedDailyQuota,
          settings.notSharedCrawlKeys,
          settings.claimsPerKeyPerDay,
          settings.mismatchMinCalls,
          settings.mismatchRate,
        );
      } catch (err) {
        throw unavailable(err);
      }
      const [outcome, n, distinctKeys, calls, mismatches, triggers] = reply;
      if (outcome === 'ok') return { allowed: true, remainingToday: n };
      const limit = outcome as LimitName;
      // A principal already blocked trips nothing new: no detection, no second alert.
      const crawl = limit === 'crawl' && triggers !== '' ? { triggers: triggers.split(',') as CrawlTrigger[], distinctKeys, calls, mismatches } : null;
      return { allowed: false, limit, retryAfterMs: n, crawl };
    },
    async record({ principal, mismatch }) {
      const at = now();
      const calls = keyOf(principal, 'calls');
      const mismatches = keyOf(principal, 'mismatches');
      const member = `${at}:${randomBytes(6).toString('hex')}`;
      try {
        await record(calls, mismatches, at, member, settings.crawlWindowMs, mismatch ? 1 : 0);
      } catch (err) {
        throw unavailable(err);
      }
    },
    async setOverride(principal, override) {
      const fields = Object.entries(override).filter((e): e is [string, number] => typeof e[1] === 'number');
      if (fields.length === 0) return;
      try {
        await redis.hset(keyOf(principal, 'override'), Object.fromEntries(fields.map(([k, v]) => [k, String(v)])));
      } catch (err) {
        throw unavailable(err);
      }
    },
    async clearOverride(principal) {
      try {
        await redis.del(keyOf(principal, 'override'));
      } catch (err) {
        throw unavailable(err);
      }
    },
  };
}
