import type { FastifyInstance } from 'fastify';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { createCleansingWorker } from './assemble.ts';
import type { CleansingWorker } from './worker.ts';

/** Cleansing's background work: the worker over every raw topic of the catalog, on the app's resources. */
export async function startCleansingWorkers(
  app: FastifyInstance,
  { config, log, groupId }: { config: HubConfig; log: Logger; groupId?: string },
): Promise<{ worker: CleansingWorker; refresh(): Promise<void>; stop(): Promise<void> }> {
  const worker = createCleansingWorker(
    {
      config,
      pool: app.db,
      redis: app.redis,
      kafka: app.kafka.as.cleansing.client,
      admin: app.kafka.admin,
      producer: app.kafka.as.cleansing.producer,
      registry: app.registry,
      metrics: app.metrics,
      log,
      health: app.workHealth,
    },
    groupId ? { groupId } : {},
  );
  await worker.start();
  return { worker, refresh: () => worker.refresh(), stop: () => worker.stop() };
}
