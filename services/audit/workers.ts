import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';

/** Keeps the audit trail's head outside the database, a few seconds behind the last committed row. */
export function startAuditWorkers(app: FastifyInstance, { log, everyMs = 5000 }: { log: Logger; everyMs?: number }): { stop(): Promise<void> } {
  const keep = () => app.audit.keepHead().catch((err: unknown) => log.warn({ err }, 'audit head not written; trying again'));
  const timer = setInterval(keep, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await keep();
    },
  };
}
