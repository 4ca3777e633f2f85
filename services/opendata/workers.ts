import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { startTicker } from '../platform/ticker.ts';

/** Open data's background work: on a tick, republish every open dataset whose landed data changed and escalate unanswered applications. */
export function startOpenDataWorkers(app: FastifyInstance, { log, tickMs }: { log: Logger; tickMs: number }): { stop(): Promise<void> } {
  return startTicker({
    tickMs,
    work: async () => {
      await app.openApplications.escalateDue();
      await app.openData.publishDue();
    },
    log,
    what: 'open-data publication and escalation',
  });
}
