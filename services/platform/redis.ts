import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import { HubError, errorMessage } from './errors.ts';
import { redactUrl } from './config.ts';

export type { Redis };

export interface RedisOptions {
  url: string;
  keyPrefix: string;
  connectTimeoutMs: number;
  log: Logger;
}

/**
 * Redis is a fast path only: callers must fall back to Postgres when it fails. Commands fail fast
 * (no offline queue) instead of piling up while Redis is away; the client keeps reconnecting.
 */
export async function openRedis({ url, keyPrefix, connectTimeoutMs, log }: RedisOptions): Promise<Redis> {
  const redis = new Redis(url, {
    keyPrefix,
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
  let warned = false;
  redis.on('error', (err) => {
    if (!warned) log.warn({ err }, 'Redis connection failed; retrying');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new HubError(
      'HUB_ERR_REDIS_UNAVAILABLE',
      `cannot reach Redis at ${redactUrl(url)} (${errorMessage(err)}): start Redis or point REDIS_URL at a running server`,
      { cause: err },
    );
  }
  return redis;
}
