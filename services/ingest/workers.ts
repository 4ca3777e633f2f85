import type { FastifyInstance } from 'fastify';
import { groups } from '../contract/names.ts';
import type { Logger } from '../platform/logger.ts';
import { createCatalogStore } from '../catalog/store.ts';
import { createActivityStore } from './activity.ts';
import { ingestMetrics } from './metrics.ts';
import { RawTopicValidator } from './raw-validator.ts';

/** Ingest's background work: the raw-topic validator (dead letters, activity) and the freshness watcher. */
export async function startIngestWorkers(
  app: FastifyInstance,
  { log, groupId = groups.validator }: { log: Logger; groupId?: string },
): Promise<{ validator: RawTopicValidator; refresh(): Promise<void>; stop(): Promise<void> }> {
  const validator = new RawTopicValidator({
    kafka: app.kafka.as.ingest.client,
    admin: app.kafka.admin,
    producer: app.kafka.as.ingest.producer,
    registry: app.registry,
    catalog: createCatalogStore({ pool: app.db }),
    activity: createActivityStore({ pool: app.db }),
    log,
    groupId,
    metrics: ingestMetrics(app.metrics),
    health: app.workHealth,
  });
  await validator.start();
  app.freshness.start();
  return {
    validator,
    refresh: () => validator.refresh(),
    async stop() {
      app.freshness.stop();
      await validator.stop();
    },
  };
}
