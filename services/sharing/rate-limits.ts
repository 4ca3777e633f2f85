import { createHash } from 'node:crypto';
import type { Redis } from '../platform/redis.ts';
import { HubError, errorMessage } from '../platform/errors.ts';
import { chinaDate } from '../platform/calendar/working-days.ts';

export type LimitName = 'burst' | 'daily' | 'crawl';

export interface LimitSettings {
  /** Token bucket: this many tokens, refilled at this many per second. */
  ratePerSecond: number;
  /** Requests per China date. */
  dailyQuota: number;
  crawlWindowMs: number;
  /** More distinct keys than this in the window, most of them sequential, is crawling. */
  crawlKeys: number;
  crawlBlockMs: number;
}

/** A principal's own limits, set by the authority (e.g. a batch-verification system); the rest stay default. */
export type LimitOverride = Partial<Pick<LimitSettings, 'ratePerSecond' | 'dailyQuota' | 'crawlKeys'>>;

export type LimitDecision =
  | { allowed: true; remainingToday: number }
  | { allowed: false; limit: LimitName; retryAfterMs: number; crawl: { distinctKeys: number; sequentialKeys: number } | null };

export interface VerificationLimits {
  /** Counts one verification of `key` by `principal` and says whether it may go ahead. */
  check(principal: string, key: string): Promise<LimitDecision>;
  setOverride(principal: string, override: LimitOverride): Promise<void>;
  clearOverride(principal: string): Promise<void>;
}

const dayMs = 86_400_000;
const chinaOffsetMs = 8 * 60 * 60 * 1000;
/** Keys that differ only in their last this-many characters are neighbours (a sequence code and check digit). */
const sequentialTail = 4;

/**
 * One round trip, atomic: a refused request consumes nothing; an accepted one takes a token, counts
 * against today's quota and is remembered for crawl detection. Keys seen are stored as hashes only,
 * so Redis never holds the business keys a principal asked about.
 * KEYS: bucket, day counter, distinct keys (zset), sequential keys (zset), last key (hash), block, override (hash).
 * ARGV: now, rate, daily quota, window, crawl keys, block ms, ms to China midnight, key hash, neighbourhood hash.
 */
const script = `
local now = tonumber(ARGV[1])
local ov = redis.call('HMGET', KEYS[7], 'ratePerSecond', 'dailyQuota', 'crawlKeys')
local rate = tonumber(ov[1]) or tonumber(ARGV[2])
local quota = tonumber(ov[2]) or tonumber(ARGV[3])
local crawlKeys = tonumber(ov[3]) or tonumber(ARGV[5])
local window = tonumber(ARGV[4])
local blocked = redis.call('PTTL', KEYS[6])
if blocked > 0 then return {'crawl', blocked, 0, 0} end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or rate
local ts = tonumber(b[2]) or now
tokens = math.min(rate, tokens + math.max(0, now - ts) * rate / 1000)
if tokens < 1 then return {'burst', math.ceil((1 - tokens) * 1000 / rate), 0, 0} end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if used >= quota then return {'daily', tonumber(ARGV[7]), 0, 0} end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 2000)
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[7]) + 3600000)
local since = now - window
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', since)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', since)
local last = redis.call('HMGET', KEYS[5], 'near', 'key')
if last[1] == ARGV[9] and last[2] ~= ARGV[8] then redis.call('ZADD', KEYS[4], now, ARGV[8]) end
redis.call('HSET', KEYS[5], 'near', ARGV[9], 'key', ARGV[8])
redis.call('ZADD', KEYS[3], now, ARGV[8])
for i = 3, 5 do redis.call('PEXPIRE', KEYS[i], window) end
local distinct = redis.call('ZCARD', KEYS[3])
local sequential = redis.call('ZCARD', KEYS[4])
if distinct > crawlKeys and sequential * 2 > distinct then
  redis.call('SET', KEYS[6], '1', 'PX', tonumber(ARGV[6]))
  redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
  return {'crawl', tonumber(ARGV[6]), distinct, sequential}
end
return {'ok', quota - used - 1, distinct, sequential}
`;

type ScriptReply = [string, number, number, number];
type LimitCommand = (...args: (string | number)[]) => Promise<ScriptReply>;
const commandName = 'hubVerificationLimit';

const hash = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);

function msToChinaMidnight(now: number): number {
  const dayStart = Math.floor((now + chinaOffsetMs) / dayMs) * dayMs - chinaOffsetMs;
  return dayStart + dayMs - now;
}

/**
 * Per-principal limits of the verification interface, in Redis so that every hub instance shares
 * them. They are a security control against bulk extraction: when Redis cannot answer, check()
 * fails closed (HUB_ERR_REDIS_UNAVAILABLE) rather than letting verification run unmetered.
 */
export function createVerificationLimits({ redis, settings, now = Date.now }: { redis: Redis; settings: LimitSettings; now?: () => number }): VerificationLimits {
  if (!(commandName in redis)) redis.defineCommand(commandName, { numberOfKeys: 7, lua: script });
  const run = (redis as unknown as Record<typeof commandName, LimitCommand>)[commandName].bind(redis);
  const keysOf = (principal: string, date: string) => {
    const p = `verify:{${principal}}`;
    return [`${p}:bucket`, `${p}:day:${date}`, `${p}:keys`, `${p}:sequential`, `${p}:last`, `${p}:block`, `${p}:override`];
  };
  const unavailable = (err: unknown) =>
    new HubError('HUB_ERR_REDIS_UNAVAILABLE', `verification limits cannot be checked (${errorMessage(err)}); verification is refused until Redis answers`, { cause: err });

  return {
    async check(principal, key) {
      const at = now();
      const near = `${key.length}:${key.slice(0, Math.max(0, key.length - sequentialTail))}`;
      let reply: ScriptReply;
      try {
        reply = await run(
          ...keysOf(principal, chinaDate(new Date(at))),
          at, settings.ratePerSecond, settings.dailyQuota, settings.crawlWindowMs, settings.crawlKeys, settings.crawlBlockMs, msToChinaMidnight(at), hash(key), hash(near),
        );
      } catch (err) {
        throw unavailable(err);
      }
      const [outcome, n, distinctKeys, sequentialKeys] = reply;
      if (outcome === 'ok') return { allowed: true, remainingToday: n };
      const limit = outcome as LimitName;
      return { allowed: false, limit, retryAfterMs: n, crawl: limit === 'crawl' && distinctKeys > 0 ? { distinctKeys, sequentialKeys } : null };
    },
    async setOverride(principal, override) {
      const fields = Object.entries(override).filter((e): e is [string, number] => typeof e[1] === 'number');
      if (fields.length === 0) return;
      try {
        await redis.hset(keysOf(principal, '')[6] as string, Object.fromEntries(fields.map(([k, v]) => [k, String(v)])));
      } catch (err) {
        throw unavailable(err);
      }
    },
    async clearOverride(principal) {
      try {
        await redis.del(keysOf(principal, '')[6] as string);
      } catch (err) {
        throw unavailable(err);
      }
    },
  };
}
