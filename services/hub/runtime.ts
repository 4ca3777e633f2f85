import type { FastifyInstance } from 'fastify';
import type { HubConfig } from '../platform/config.ts';
import { redactUrl } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { loadOrCreateSecrets } from '../platform/secrets.ts';
import { loadSchemaFiles } from '../contract/dataset-schema.ts';
import { buildApp } from './build-app.ts';
import { auditChainKey } from '../audit/hash.ts';
import { bootstrapHub, ensureServicePrincipal } from './bootstrap.ts';
import { openAdmin, resolveKafka, tlsKeystoreSecret } from './kafka-connection.ts';
import { auditHeadFile, databaseRoleSecret, ensureServiceUsers, serviceConnections, servicePrincipalName, serviceUserNames } from './topology.ts';
import type { KafkaConnection } from '../platform/kafka/client.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import { startWorkers, type Workers } from './workers.ts';

export interface RunningHub {
  app: FastifyInstance;
  url: string;
  brokers: readonly string[];
  stop(): Promise<void>;
}

/**
 * The main job: local broker (unless KAFKA_BROKERS), migrations, HTTP, the hub's users, topics
 * and schemas. On any failure it stops what it had started before rethrowing.
 */
export async function startHub(config: HubConfig, log: Logger): Promise<RunningHub> {
  const schemas = await loadSchemaFiles();
  const secrets = await loadOrCreateSecrets(config.stateDir, [...serviceUserNames, databaseRoleSecret(config), tlsKeystoreSecret]);
  const { connection, broker } = await resolveKafka(config, secrets, log);
  let app: FastifyInstance | null = null;
  let workers: Workers | null = null;
  const stop = async () => {
    await workers?.stop().catch((err: unknown) => log.warn({ err }, 'stopping the workers failed'));
    workers = null;
    if (app) await app.close().catch((err: unknown) => log.warn({ err }, 'closing the app failed'));
    app = null;
    await broker?.stop();
  };
  try {
    // The service users exist before the app connects as them: each kind of work runs as its own, least privileged.
    await withAdmin(connection, config, log, (admin) => ensureServiceUsers(admin, secrets.serviceUsers, { cleansingGroup: config.cleansing.groupId }));
    app = await buildApp(config, {
      log,
      kafka: connection,
      serviceKafka: serviceConnections(connection, secrets.serviceUsers),
      service: { name: servicePrincipalName, token: secrets.serviceToken },
      keyHashSecret: secrets.keyHashSecret,
      auditKey: auditChainKey(secrets.keyHashSecret),
      auditHeadFile: auditHeadFile(config),
      databaseAppPassword: secrets.serviceUsers[databaseRoleSecret(config)],
    });
    await ensureServicePrincipal(app, secrets.serviceToken);
    const address = await app.listen({ host: config.http.host, port: config.http.port });
    const { subjects } = await bootstrapHub({ app, secrets, schemas, log });
    workers = await startWorkers(app, { config, log });
    const url = address.replace('0.0.0.0', '127.0.0.1');
    log.info(
      {
        url,
        registry: config.registry.url ?? `${url}/registry`,
        docs: `${url}/docs`,
        metrics: `${url}/metrics`,
        kafka: connection.brokers,
        localBroker: broker !== null,
        database: redactUrl(config.database.url),
        redis: redactUrl(config.redis.url),
        stateDir: config.stateDir,
        schemas: Object.keys(subjects).length,
      },
      'hub is ready',
    );
    return { app, url, brokers: connection.brokers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function withAdmin<T>(connection: KafkaConnection, config: HubConfig, log: Logger, fn: (admin: HubAdmin) => Promise<T>): Promise<T> {
  const admin = await openAdmin(connection, config, log);
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}
