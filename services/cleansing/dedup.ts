import { createHash } from 'node:crypto';
import type { Redis } from '../platform/redis.ts';
import type { Logger } from '../platform/logger.ts';
import type { PoolClient } from '../platform/db/pool.ts';

/** Fingerprint of what a source sent for a key: the record exactly as received. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}

/**
 * A retransmission is a record equal to the last one the same source sent for the same key.
 * Postgres (cleansing_last_hash, read and written in the landing transaction) decides; Redis only
 * lets a known duplicate skip that work. Redis is written after the commit, so it can lag the truth
 * but never run ahead of it: with Redis empty, flushed or down, the outcome is the same.
 */
export interface Dedup {
  /** Hashes Redis remembers for these keys (none if Redis is unavailable). */
  fastPath(dataset: string, provider: string, keys: readonly string[]): Promise<Map<string, string>>;
  truth(client: PoolClient, dataset: string, provider: string, keys: readonly string[]): Promise<Map<string, string>>;
  record(client: PoolClient, dataset: string, provider: string, hashes: ReadonlyMap<string, string>): Promise<void>;
  remember(dataset: string, provider: string, hashes: ReadonlyMap<string, string>): Promise<void>;
}

const ttlSeconds = 7 * 24 * 3600;

export function createDedup({ redis, log }: { redis: Redis; log: Logger }): Dedup {
  const logger = log.child({ module: 'dedup' });
  let warned = false;
  const redisKey = (dataset: string, provider: string, key: string) => `dedup:${dataset}:${provider}:${key}`;
  const degrade = (err: unknown) => {
    if (!warned) logger.warn({ err }, 'Redis unavailable; de-duplicating from Postgres only');
    warned = true;
  };
  return {
    async fastPath(dataset, provider, keys) {
      const out = new Map<string, string>();
      if (keys.length === 0) return out;
      try {
        const values = await redis.mget(...keys.map((k) => redisKey(dataset, provider, k)));
        values.forEach((v, i) => {
          if (v) out.set(keys[i] as string, v);
        });
        warned = false;
      } catch (err) {
        degrade(err);
      }
      return out;
    },
    async truth(client, dataset, provider, keys) {
      const { rows } = await client.query<{ key: string; content_hash: string }>(
        'SELECT key, content_hash FROM cleansing_last_hash WHERE dataset = $1 AND provider = $2 AND key = ANY($3) FOR UPDATE',
        [dataset, provider, keys],
      );
      return new Map(rows.map((r) => [r.key, r.content_hash]));
    },
    async record(client, dataset, provider, hashes) {
      if (hashes.size === 0) return;
      await client.query(
        `INSERT INTO cleansing_last_hash (dataset, provider, key, content_hash)
         SELECT $1, $2, k, h FROM unnest($3::text[], $4::text[]) AS t (k, h)
         ON CONFLICT (dataset, provider, key) DO UPDATE SET content_hash = EXCLUDED.content_hash`,
        [dataset, provider, [...hashes.keys()], [...hashes.values()]],
      );
    },
    async remember(dataset, provider, hashes) {
      if (hashes.size === 0) return;
      try {
        const pipeline = redis.pipeline();
        for (const [k, h] of hashes) pipeline.set(redisKey(dataset, provider, k), h, 'EX', ttlSeconds);
        await pipeline.exec();
      } catch (err) {
        degrade(err);
      }
    },
  };
}
