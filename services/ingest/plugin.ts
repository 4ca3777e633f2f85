import fp from 'fastify-plugin';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { authenticated } from '../principals/auth-plugin.ts';
import type { AuditEvent } from '../audit/log.ts';
import { alertRoutes } from './alert-routes.ts';
import { fileRoutes } from './file-routes.ts';
import { createFreshnessWatcher, type FreshnessWatcher } from './freshness.ts';
import { ingestRoutes } from './http-routes.ts';
import { createIdempotencyStore } from './idempotency.ts';
import { ingestMetrics } from './metrics.ts';
import { createRawPublisher } from './publisher.ts';
import { createIngestService, type IngestService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    ingest: IngestService;
    freshness: FreshnessWatcher;
  }
}

/** The HTTP and file ingest paths onto the raw topics, and freshness alerts. */
export const ingestPlugin = fp<{ config: HubConfig; log: Logger }>(
  async (app, { config, log }) => {
    const publisher = createRawPublisher({ producer: app.kafka.as.ingest.producer, registry: app.registry });
    app.decorate('ingest', createIngestService({ catalog: app.catalog, registry: app.registry, publisher, metrics: ingestMetrics(app.metrics) }));
    app.decorate(
      'freshness',
      createFreshnessWatcher({ pool: app.db, log, intervalMs: config.ingest.freshnessIntervalMs, entries: () => app.catalog.active() }),
    );
    app.addHook('onClose', async () => app.freshness.stop());
    const idempotency = createIdempotencyStore({ pool: app.db, leaseMs: config.ingest.idempotencyLeaseMs });
    const record = (event: AuditEvent) => app.audit.append(app.db, event);
    await app.register(authenticated(ingestRoutes), { prefix: '/api/v1', ingest: app.ingest, idempotency, maxBatch: config.ingest.maxBatch, record });
    await app.register(authenticated(fileRoutes), {
      prefix: '/api/v1',
      ingest: app.ingest,
      maxBytes: config.ingest.fileMaxBytes,
      batchSize: config.ingest.fileBatch,
      record,
    });
    await app.register(authenticated(alertRoutes), { prefix: '/api/v1', freshness: app.freshness });
  },
  { name: 'hub-ingest', dependencies: ['hub-db', 'hub-kafka', 'hub-registry-client', 'hub-metrics', 'hub-audit', 'hub-catalog'] },
);
