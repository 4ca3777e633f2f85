import type { FastifyInstance } from 'fastify';
import type { Logger } from '../platform/logger.ts';
import { createCatalogStore } from '../catalog/store.ts';
import { createActivityStore } from '../ingest/activity.ts';
import { RawTopicValidator } from '../ingest/raw-validator.ts';
import { ingestMetrics } from '../ingest/metrics.ts';
import { createCleansingWorker } from '../cleansing/assemble.ts';
import type { CleansingWorker } from '../cleansing/worker.ts';
import type { HubConfig } from '../platform/config.ts';

export interface Workers {
  validator: RawTopicValidator;
  cleansing: CleansingWorker;
  stop(): Promise<void>;
}

/**
 * The hub's background work beside HTTP: the raw-topic validator (following catalog changes made
 * here at once, and those of other instances within `refreshMs`) and the freshness watcher.
 */
export async function startWorkers(
  app: FastifyInstance,
  {
    config,
    log,
    groupId = 'hub-ingest-validator',
    cleansingGroupId,
    refreshMs = 30_000,
  }: { config: HubConfig; log: Logger; groupId?: string; cleansingGroupId?: string; refreshMs?: number },
): Promise<Workers> {
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
  const cleansing = createCleansingWorker(
    {
      config,
      pool: app.db,
      redis: app.redis,
      kafka: app.kafka.client,
      admin: app.kafka.admin,
      producer: app.kafka.producer,
      registry: app.registry,
      metrics: app.metrics,
      log,
    },
    cleansingGroupId ? { groupId: cleansingGroupId } : {},
  );
  await cleansing.start();
  const refresh = () => {
    validator.refresh().catch((err: unknown) => log.warn({ err }, 'raw validator refresh failed'));
    cleansing.refresh().catch((err: unknown) => log.warn({ err }, 'cleansing refresh failed'));
  };
  // Not awaited: declaring a dataset must not wait for the validator's group to rebalance.
  app.catalog.onChange(refresh);
  const timer = setInterval(refresh, refreshMs);
  timer.unref();
  app.freshness.start();
  // Grants stream from clean.<dataset> into their share topics; deadlines and expiries fire on a tick.
  await app.grants.start();
  const tick = setInterval(() => {
    app.sharing.fireDue().catch((err: unknown) => log.warn({ err }, 'sharing timers failed; retrying on the next tick'));
  }, 10_000);
  tick.unref();
  return {
    validator,
    cleansing,
    async stop() {
      clearInterval(timer);
      clearInterval(tick);
      await app.grants.stop();
      app.freshness.stop();
      await validator.stop();
      await cleansing.stop();
    },
  };
}
