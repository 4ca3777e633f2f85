import type { Logger } from './logger.ts';

/**
 * Runs `work` every `tickMs`, never two at once (a run that outlasts a tick makes the next tick
 * skip); a failure is logged and retried on the next tick. stop() waits for the run under way.
 */
export function startTicker({ tickMs, work, log, what }: { tickMs: number; work: () => Promise<unknown>; log: Logger; what: string }): {
  stop(): Promise<void>;
} {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const tick = setInterval(() => {
    if (busy) return;
    busy = true;
    running = work()
      .catch((err: unknown) => log.warn({ err }, `${what} failed; retrying on the next tick`))
      .finally(() => {
        busy = false;
      });
  }, tickMs);
  tick.unref();
  return {
    async stop() {
      clearInterval(tick);
      await running;
    },
  };
}
