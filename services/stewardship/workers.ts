import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { startTicker } from '../platform/ticker.ts';

/** Stewardship's background work: on a tick, close corrected requests and escalate overdue ones. */
export function startStewardshipWorkers(app: FastifyInstance, { log, tickMs }: { log: Logger; tickMs: number }): { stop(): Promise<void> } {
  return startTicker({ tickMs, work: () => app.corrections.sweep(), log, what: 'correction sweep' });
}
