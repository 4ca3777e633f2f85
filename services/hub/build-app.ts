import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Redis } from '../platform/redis.ts';
import type { KafkaConnection } from '../platform/kafka/client.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { HubProducer } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import { installErrorHandler } from '../platform/http/error-handler.ts';
import { installBearerAuth } from '../principals/auth-plugin.ts';
import { metricsPlugin } from '../platform/http/metrics.ts';
import { dbPlugin, kafkaPlugin, redisPlugin, registryClientPlugin } from '../platform/http/resources.ts';
import { createPrincipalStore } from '../principals/store.ts';
import { createAuthenticator } from '../principals/authenticator.ts';
import { createPrincipalService, type PrincipalService } from '../principals/service.ts';
import type { Authenticator } from '../principals/types.ts';
import { registryPlugin } from '../registry/plugin.ts';
import { createRegistryPolicy } from './registry-policy.ts';
import { loadSchemaFiles, type DatasetSchema } from '../contract/dataset-schema.ts';
import { createCatalogStore } from '../catalog/store.ts';
import { createContractStore } from '../catalog/contracts.ts';
import { createCatalogService, type CatalogService } from '../catalog/service.ts';
import { createDepartmentService, createDepartmentStore } from '../catalog/departments.ts';
import { catalogRoutes } from '../catalog/routes.ts';
import { createRawPublisher } from '../ingest/publisher.ts';
import { createIngestService, type IngestService } from '../ingest/service.ts';
import { createIdempotencyStore } from '../ingest/idempotency.ts';
import { ingestRoutes } from '../ingest/http-routes.ts';
import { ingestMetrics } from '../ingest/metrics.ts';
import { fileRoutes } from '../ingest/file-routes.ts';
import { createFreshnessWatcher, type FreshnessWatcher } from '../ingest/freshness.ts';
import { alertRoutes } from '../ingest/alert-routes.ts';
import { createAlertStore, type AlertStore } from '../cleansing/alerts.ts';
import { cleansingRoutes } from '../cleansing/routes.ts';
import { verificationRoutes } from '../sharing/verification-routes.ts';
import { healthRoutes } from './routes/health.ts';
import { principalRoutes } from './routes/principals.ts';
import { createAuditLog } from '../audit/log.ts';
import { createGrantService, type GrantService } from '../sharing/grant-service.ts';
import { createApplicationStore } from '../sharing/application-store.ts';
import { createSharingService, type SharingService } from '../sharing/applications.ts';
import { sharingRoutes } from '../sharing/routes.ts';
import { createVerificationGrantStore } from '../sharing/verification-grants.ts';
import { jurisdictions } from '../platform/calendar/jurisdictions.ts';
import { auditRoutes } from '../audit/routes.ts';
import { createProgressStore } from '../cleansing/progress-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    principals: PrincipalService;
    authenticator: Authenticator;
    catalog: CatalogService;
    ingest: IngestService;
    freshness: FreshnessWatcher;
    qualityAlerts: AlertStore;
    grants: GrantService;
    sharing: SharingService;
  }
}

export interface AppDeps {
  log: Logger;
  /** How the hub's own clients reach Kafka (as the hub super user). */
  kafka: KafkaConnection;
  /** The hub's own principal, used by its registry client. */
  service: { name: string; token: string };
  /** Injected resources are owned by the caller (tests inject failing ones); the rest are opened here. */
  pool?: Pool;
  redis?: Redis;
  admin?: HubAdmin;
  producer?: HubProducer;
  registry?: RegistryClient;
  /** HMACs the business keys written to the audit trail and Redis; a secret kept outside the database. */
  keyHashSecret?: string;
  /** The dataset schemas; read from schemas/ when not given. */
  schemas?: readonly DatasetSchema[];
}

/** Builds the hub's HTTP app; it does not listen. Resources close when the app closes. */
export async function buildApp(config: HubConfig, deps: AppDeps): Promise<FastifyInstance> {
  const { log } = deps;
  const app = Fastify({
    loggerInstance: log.child({ module: 'http' }) as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimit,
    // Requests are counted and timed on /metrics; refusals and failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  });
  installErrorHandler(app);
  try {
    await app.register(metricsPlugin);
    await app.register(swagger, {
      openapi: {
        info: { title: 'Government data exchange hub', version: '0.1.0', description: 'Catalog, ingestion, sharing and the schema registry of the hub.' },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'a principal token from `hub principal create`' },
            basic: { type: 'http', scheme: 'basic', description: 'registry: principal name and token' },
          },
        },
        security: [{ bearer: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    await app.register(dbPlugin, { config, log, ...(deps.pool ? { pool: deps.pool } : {}) });
    await app.register(redisPlugin, { config, log, ...(deps.redis ? { redis: deps.redis } : {}) });
    await app.register(kafkaPlugin, {
      connection: deps.kafka,
      log,
      ...(deps.admin ? { admin: deps.admin } : {}),
      ...(deps.producer ? { producer: deps.producer } : {}),
    });
    await app.register(registryClientPlugin, {
      config,
      serviceName: deps.service.name,
      serviceToken: deps.service.token,
      ...(deps.registry ? { registry: deps.registry } : {}),
    });

    const store = createPrincipalStore({ pool: app.db });
    const authenticator = createAuthenticator({ store, cacheTtlMs: config.auth.cacheTtlMs });
    app.decorate('authenticator', authenticator);
    app.decorate('principals', createPrincipalService({ store, admin: app.kafka.admin }));
    const schemas = deps.schemas ?? (await loadSchemaFiles());
    const departmentStore = createDepartmentStore({ pool: app.db });
    const departments = createDepartmentService({ store: departmentStore, principals: app.principals, principalStore: store, admin: app.kafka.admin });
    app.decorate(
      'catalog',
      createCatalogService({
        config,
        log,
        pool: app.db,
        store: createCatalogStore({ pool: app.db }),
        contracts: createContractStore({ pool: app.db }),
        departments: departmentStore,
        admin: app.kafka.admin,
        registry: app.registry,
        schemas: new Map(schemas.map((s) => [s.dataset, s])),
      }),
    );
    const publisher = createRawPublisher({ producer: app.kafka.producer, registry: app.registry });
    app.decorate('ingest', createIngestService({ catalog: app.catalog, registry: app.registry, publisher, metrics: ingestMetrics(app.metrics) }));
    app.decorate(
      'freshness',
      createFreshnessWatcher({ pool: app.db, log, intervalMs: config.ingest.freshnessIntervalMs, entries: () => app.catalog.active() }),
    );
    app.addHook('onClose', async () => app.freshness.stop());
    app.decorate('qualityAlerts', createAlertStore({ pool: app.db }));
    app.decorate('audit', createAuditLog({ pool: app.db }));
    app.decorate(
      'grants',
      createGrantService({
        pool: app.db,
        kafka: app.kafka.client,
        admin: app.kafka.admin,
        registry: app.registry,
        producer: app.kafka.producer,
        log,
        schemaPrefix: config.cleansing.schemaPrefix,
        catalog: app.catalog,
      }),
    );
    const applicationStore = createApplicationStore({ pool: app.db });
    const verificationGrants = createVerificationGrantStore({ pool: app.db });
    app.decorate(
      'sharing',
      createSharingService({
        pool: app.db,
        store: applicationStore,
        catalog: app.catalog,
        grants: app.grants,
        verificationGrants,
        profile: jurisdictions[config.jurisdiction],
        log,
        audit: app.audit,
      }),
    );
    const idempotency = createIdempotencyStore({ pool: app.db, leaseMs: config.ingest.idempotencyLeaseMs });

    await app.register(healthRoutes, { prefix: '/health' });
    // With SCHEMA_REGISTRY_URL the hub uses that registry instead of serving its own.
    if (!config.registry.url) {
      await app.register(registryPlugin, { prefix: '/registry', pool: app.db, authenticator, canWriteSubject: createRegistryPolicy({ catalog: app.catalog }) });
    }
    await app.register(
      async (api) => {
        installBearerAuth(api, authenticator);
        await api.register(principalRoutes, { principals: app.principals });
        await api.register(catalogRoutes, { catalog: app.catalog, departments, departmentStore });
        await api.register(ingestRoutes, { ingest: app.ingest, idempotency, maxBatch: config.ingest.maxBatch });
        await api.register(fileRoutes, { ingest: app.ingest, maxBytes: config.ingest.fileMaxBytes, batchSize: config.ingest.fileBatch });
        await api.register(alertRoutes, { freshness: app.freshness });
        await api.register(cleansingRoutes, {
          alerts: app.qualityAlerts,
          progress: createProgressStore({ pool: app.db, groupId: config.cleansing.groupId }),
          catalogEntries: () => app.catalog.active(),
          admin: app.kafka.admin,
          groupId: config.cleansing.groupId,
        });
        await api.register(verificationRoutes, {
          config,
          catalog: app.catalog,
          pool: app.db,
          redis: app.redis,
          log,
          audit: app.audit,
          canVerify: (p, dataset, fields) => verificationGrants.covers(p.name, dataset, fields),
          ...(deps.keyHashSecret ? { keyHashSecret: deps.keyHashSecret } : {}),
        });
        await api.register(auditRoutes, { audit: app.audit });
        await api.register(sharingRoutes, { sharing: app.sharing, store: applicationStore });
      },
      { prefix: '/api/v1' },
    );
    await app.ready();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}
