import { describe, expect, it } from 'vitest';
import { backoffDelay, retry } from '../../services/platform/retry.ts';
import { HubError } from '../../services/platform/errors.ts';

const fast = { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 1000 };

describe('retry', () => {
  it('retries retryable catalog errors until success', async () => {
    let calls = 0;
    const result = await retry(async () => {
      calls++;
      if (calls < 3) throw new HubError('HUB_ERR_KAFKA_UNAVAILABLE', 'down');
      return 'ok';
    }, fast);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('never retries unknown errors or non-retryable codes', async () => {
    for (const error of [new Error('boom'), new HubError('HUB_ERR_VALIDATION', 'bad')]) {
      let calls = 0;
      await expect(
        retry(async () => {
          calls++;
          throw error;
        }, fast),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('gives up at the time cap with the last error', async () => {
    let clock = 0;
    let calls = 0;
    const err = new HubError('HUB_ERR_DB_UNAVAILABLE', 'down');
    await expect(
      retry(
        async () => {
          calls++;
          clock += 400;
          throw err;
        },
        { ...fast, maxElapsedMs: 1000, now: () => clock },
      ),
    ).rejects.toBe(err);
    expect(calls).toBe(3);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    let calls = 0;
    const pending = retry(
      async () => {
        calls++;
        throw new HubError('HUB_ERR_KAFKA_UNAVAILABLE', 'down');
      },
      { initialDelayMs: 60_000, maxDelayMs: 60_000, maxElapsedMs: 600_000, signal: controller.signal, random: () => 1 },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toThrow('down');
    expect(calls).toBe(1);
  });

  it('backs off exponentially with full jitter under the cap', () => {
    expect(backoffDelay(0, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 1000, () => 1)).toBe(800);
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000);
    expect(backoffDelay(10, 100, 1000, () => 0)).toBe(0);
  });
});
