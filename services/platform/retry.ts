import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable } from './errors.ts';

export interface RetryOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Stop retrying once this much time has passed since the first attempt. */
  maxElapsedMs: number;
  /** Aborting (on shutdown) ends the wait at once and rethrows the last error. */
  signal?: AbortSignal;
  /** Defaults to the error catalog: unknown errors are not retried. */
  isRetryable?: (err: unknown) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  random?: () => number;
  now?: () => number;
}

/** Full-jitter exponential backoff: delay is uniform in [0, min(max, initial * 2^attempt)]. */
export function backoffDelay(attempt: number, initialDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { initialDelayMs, maxDelayMs, maxElapsedMs, signal } = options;
  const retryable = options.isRetryable ?? isRetryable;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (signal?.aborted || !retryable(error)) throw error;
      const remaining = maxElapsedMs - (now() - started);
      if (remaining <= 0) throw error;
      const delayMs = Math.min(remaining, backoffDelay(attempt, initialDelayMs, maxDelayMs, random));
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      try {
        await sleep(delayMs, undefined, signal ? { signal } : undefined);
      } catch {
        throw error;
      }
    }
  }
}
