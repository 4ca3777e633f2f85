import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';

/** Sharing's background work: grants stream from clean.<dataset> into their share topics; deadlines and expiries fire on a tick. */
export async function startSharingWorkers(
  app: FastifyInstance,
  { log, tickMs = 10_000 }: { log: Logger; tickMs?: number },
): Promise<{ stop(): Promise<void> }> {
  await app.grants.start();
  const tick = setInterval(() => {
    app.sharing.fireDue().catch((err: unknown) => log.warn({ err }, 'sharing timers failed; retrying on the next tick'));
  }, tickMs);
  tick.unref();
  return {
    async stop() {
      clearInterval(tick);
      await app.grants.stop();
    },
  };
}
