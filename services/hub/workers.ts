import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { createCatalogStore } from '../catalog/store.ts';
import { createActivityStore } from '../ingest/activity.ts';
import { RawTopicValidator } from '../ingest/raw-validator.ts';
import { ingestMetrics } from '../ingest/metrics.ts';

export interface Workers {
  validator: RawTopicValidator;
  stop(): Promise<void>;
}

/**
 * The hub's background work beside HTTP: the raw-topic validator (following catalog changes made
 * here at once, and those of other instances within `refreshMs`) and the freshness watcher.
 */
export async function startWorkers(app: FastifyInstance, { log, groupId = 'hub-ingest-validator', refreshMs = 30_000 }: { log: Logger; groupId?: string; refreshMs?: number }): Promise<Workers> {
  const validator = new RawTopicValidator({
    kafka: app.kafka.client,
    admin: app.kafka.admin,
    producer: app.kafka.producer,
    registry: app.registry,
    catalog: createCatalogStore({ pool: app.db }),
    activity: createActivityStore({ pool: app.db }),
    log,
    groupId,
    metrics: ingestMetrics(app.metrics),
  });
  await validator.start();
  // Not awaited: declaring a dataset must not wait for the validator's group to rebalance.
  app.catalog.onChange(() => {
    validator.refresh().catch((err: unknown) => log.warn({ err }, 'raw validator refresh failed'));
  });
  const timer = setInterval(() => {
    validator.refresh().catch((err: unknown) => log.warn({ err }, 'raw validator refresh failed'));
  }, refreshMs);
  timer.unref();
  app.freshness.start();
  return {
    validator,
    async stop() {
      clearInterval(timer);
      app.freshness.stop();
      await validator.stop();
    },
  };
}
