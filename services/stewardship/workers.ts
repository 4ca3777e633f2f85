import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';

/** Stewardship's background work: on a tick, close corrected requests and escalate overdue ones. */
export function startStewardshipWorkers(app: FastifyInstance, { log, tickMs }: { log: Logger; tickMs: number }): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const tick = setInterval(() => {
    running = app.corrections.sweep().catch((err: unknown) => log.warn({ err }, 'correction sweep failed; retrying on the next tick'));
  }, tickMs);
  tick.unref();
  return {
    async stop() {
      clearInterval(tick);
      await running;
    },
  };
}
