import type { Registry } from 'prom-client';
import type { HubConfig } from '../platform/config.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Redis } from '../platform/redis.ts';
import type { Logger } from '../platform/logger.ts';
import type { Kafka } from '../platform/kafka/client.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { HubProducer } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import { createCatalogStore } from '../catalog/store.ts';
import { createAlertStore } from './alerts.ts';
import { createDedup } from './dedup.ts';
import { createOutboxRelay } from './outbox.ts';
import { createCleansingPipeline } from './pipeline.ts';
import { cleansingMetrics } from './metrics.ts';
import { CleansingWorker } from './worker.ts';
import { createProgressStore } from './progress-store.ts';
import type { HealthBoard } from '../platform/health.ts';

export interface CleansingResources {
  config: HubConfig;
  pool: Pool;
  redis: Redis;
  kafka: Kafka;
  admin: HubAdmin;
  producer: HubProducer;
  registry: RegistryClient;
  metrics: Registry;
  log: Logger;
  health?: HealthBoard;
}

/** The cleansing service from the hub's resources: the same in the main job and in `hub cleanse`. */
export function createCleansingWorker(r: CleansingResources, overrides: { groupId?: string } = {}): CleansingWorker {
  const catalog = createCatalogStore({ pool: r.pool });
  const groupId = overrides.groupId ?? r.config.cleansing.groupId;
  const pipeline = createCleansingPipeline({
    pool: r.pool,
    registry: r.registry,
    catalog,
    alerts: createAlertStore({ pool: r.pool }),
    dedup: createDedup({ redis: r.redis, log: r.log }),
    log: r.log,
    progress: createProgressStore({ pool: r.pool, groupId }),
    schemaPrefix: r.config.cleansing.schemaPrefix,
  });
  return new CleansingWorker({
    kafka: r.kafka,
    admin: r.admin,
    catalog,
    pipeline,
    relay: createOutboxRelay({ pool: r.pool, producer: r.producer, log: r.log, ...(r.health ? { health: r.health } : {}) }),
    metrics: cleansingMetrics(r.metrics),
    log: r.log,
    groupId,
    chunk: r.config.cleansing.chunk,
    ...(r.health ? { health: r.health } : {}),
  });
}
