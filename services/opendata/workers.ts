import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { startTicker } from '../platform/ticker.ts';

/** Open data's background work: on a tick, republish every open dataset whose landed data changed. */
export function startOpenDataWorkers(app: FastifyInstance, { log, tickMs }: { log: Logger; tickMs: number }): { stop(): Promise<void> } {
  return startTicker({ tickMs, work: () => app.openData.publishDue(), log, what: 'open-data publication' });
}
