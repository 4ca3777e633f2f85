import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Redis } from '../platform/redis.ts';
import type { KafkaConnection } from '../platform/kafka/client.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import { replicationOf } from './kafka-connection.ts';
import type { HubProducer } from '../platform/kafka/producer.ts';
import type { RegistryClient } from '../platform/registry-client.ts';
import { installErrorHandler } from '../platform/http/error-handler.ts';
import { HubError, errorMessage } from '../platform/errors.ts';
import { createHealthBoard } from '../platform/health.ts';
import { metricsPlugin } from '../platform/http/metrics.ts';
import { dbPlugin, kafkaPlugin, redisPlugin, registryClientPlugin, type WorkIdentity } from '../platform/http/resources.ts';
import { loadSchemaFiles, type DatasetSchema } from '../contract/dataset-schema.ts';
import { principalsPlugin } from '../principals/plugin.ts';
import { auditPlugin } from '../audit/plugin.ts';
import { registryPlugin } from '../registry/plugin.ts';
import { catalogPlugin } from '../catalog/plugin.ts';
import { ingestPlugin } from '../ingest/plugin.ts';
import { cleansingPlugin } from '../cleansing/plugin.ts';
import { sharingPlugin } from '../sharing/plugin.ts';
import { stewardshipPlugin } from '../stewardship/plugin.ts';
import { consolePlugin } from '../console/plugin.ts';
import { openDataPlugin } from '../opendata/plugin.ts';
import { createRegistryPolicy } from './registry-policy.ts';
import { parseRawSubject } from '../contract/names.ts';
import { healthRoutes } from './routes/health.ts';
import { deadlineRoutes } from './routes/deadlines.ts';
import { authenticated } from '../principals/auth-plugin.ts';
import { jurisdictions } from '../platform/calendar/jurisdictions.ts';

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
  /** Each kind of work's own least-privilege Kafka user (created before the app is built); unset: all use `kafka`. */
  serviceKafka?: Partial<Record<WorkIdentity, KafkaConnection>>;
  /** The audit chain's HMAC key (from the state folder's secret); unset: rows are hashed without a key. */
  auditKey?: string;
  /** Where the audit trail's last head is kept outside the database. */
  auditHeadFile?: string;
  /** The password of the application role in Postgres (a generated secret); unset: a new one each start. */
  databaseAppPassword?: string;
  /** HMACs the business keys written to the audit trail and Redis; a secret kept outside the database. */
  keyHashSecret?: string;
  /** The dataset schemas; read from schemas/ when not given. */
  schemas?: readonly DatasetSchema[];
}

async function readTls(files: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    return { cert: await readFile(files.certFile), key: await readFile(files.keyFile) };
  } catch (err) {
    throw new HubError('HUB_ERR_CONFIG', `cannot read HUB_TLS_CERT or HUB_TLS_KEY: ${errorMessage(err)}`, { cause: err });
  }
}

/** Builds the hub's HTTP app; it does not listen. Resources close when the app closes. */
export async function buildApp(config: HubConfig, deps: AppDeps): Promise<FastifyInstance> {
  const { log } = deps;
  // HTTPS when given a certificate; the hub's own registry client then talks to a loopback-only
  // plain HTTP twin of the same routes, so it need not trust the public certificate.
  const tls = config.http.tls ? await readTls(config.http.tls) : null;
  const app = Fastify({
    ...(tls ? { https: tls } : {}),
    loggerInstance: log.child({ module: 'http' }) as FastifyBaseLogger,
    bodyLimit: config.http.bodyLimit,
    // Requests are counted and timed on /metrics; refusals and failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
  });
  installErrorHandler(app);
  app.decorate('workHealth', createHealthBoard());
  const loopback: HttpServer | null = tls ? createHttpServer((req, res) => app.routing(req, res)) : null;
  if (loopback) {
    app.addHook('onListen', async () => {
      await new Promise<void>((resolve, reject) => {
        loopback.once('error', reject);
        loopback.listen(0, '127.0.0.1', () => {
          loopback.off('error', reject);
          resolve();
        });
      });
    });
    app.addHook('onClose', async () => {
      await new Promise<void>((resolve) => {
        loopback.close(() => resolve());
        loopback.closeAllConnections();
      });
    });
  }
  try {
    await app.register(metricsPlugin, { token: config.http.metricsToken });
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
    await app.register(dbPlugin, {
      config,
      log,
      ...(deps.pool ? { pool: deps.pool } : {}),
      ...(deps.databaseAppPassword ? { appPassword: deps.databaseAppPassword } : {}),
    });
    await app.register(redisPlugin, { config, log, ...(deps.redis ? { redis: deps.redis } : {}) });
    await app.register(kafkaPlugin, {
      connection: deps.kafka,
      log,
      replication: replicationOf(config),
      ...(deps.admin ? { admin: deps.admin } : {}),
      ...(deps.producer ? { producer: deps.producer } : {}),
      ...(deps.serviceKafka ? { services: deps.serviceKafka } : {}),
    });
    await app.register(registryClientPlugin, {
      config,
      serviceName: deps.service.name,
      serviceToken: deps.service.token,
      ...(deps.registry ? { registry: deps.registry } : {}),
      ...(loopback
        ? {
            loopbackUrl: () => {
              const address = loopback.address();
              return address && typeof address === 'object' ? `http://127.0.0.1:${address.port}/registry` : null;
            },
          }
        : {}),
    });

    // The areas, lowest layer first; each builds its service, decorates the app and registers its routes.
    // Bound late: the audit trail is registered after the principals it authenticates with.
    await app.register(principalsPlugin, {
      config,
      record: (act) => app.audit.append(app.db, { ...act, method: 'api' }),
      ...(deps.keyHashSecret ? { keyHashSecret: deps.keyHashSecret } : {}),
    });
    await app.register(auditPlugin, { ...(deps.auditKey ? { key: deps.auditKey } : {}), ...(deps.auditHeadFile ? { headFile: deps.auditHeadFile } : {}) });
    await app.register(catalogPlugin, { config, log, schemas: deps.schemas ?? (await loadSchemaFiles()) });
    await app.register(ingestPlugin, { config, log });
    await app.register(cleansingPlugin, { config });
    await app.register(sharingPlugin, { config, log, ...(deps.keyHashSecret ? { keyHashSecret: deps.keyHashSecret } : {}) });
    await app.register(stewardshipPlugin, { config, log });
    await app.register(openDataPlugin, { config, log });
    await app.register(consolePlugin);
    await app.register(authenticated(deadlineRoutes), { prefix: '/api/v1', profile: jurisdictions[config.jurisdiction] });
    await app.register(healthRoutes, { prefix: '/health' });
    // With SCHEMA_REGISTRY_URL the hub uses that registry instead of serving its own.
    if (!config.registry.url) {
      await app.register(registryPlugin, {
        prefix: '/registry',
        pool: app.db,
        authenticator: app.authenticator,
        canWriteSubject: createRegistryPolicy({ catalog: app.catalog }),
        onWrite: ({ principal, action, subject, method }) =>
          app.audit.append(app.db, {
            actor: principal.name,
            actorRole: principal.role,
            action,
            method: 'registry',
            subjectProvider: subject ? (parseRawSubject(subject)?.provider ?? null) : null,
            detail: { subject, httpMethod: method },
          }),
      });
    }
    await app.ready();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}
