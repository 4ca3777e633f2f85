import Fastify from 'fastify';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { createRegistryClient } from '../platform/registry-client.ts';
import { loadOrCreateSecrets } from '../platform/secrets.ts';
import { metricsPlugin } from '../platform/http/metrics.ts';
import { dbPlugin, kafkaPlugin, redisPlugin, registryClientPlugin } from '../platform/http/resources.ts';
import { openAdmin, replicationOf, resolveKafka } from '../hub/kafka-connection.ts';
import { databaseRoleSecret, ensureServiceUsers, serviceConnections, servicePrincipalName, serviceUserNames } from '../hub/topology.ts';
import { startCleansingWorkers } from '../cleansing/workers.ts';

/**
 * `hub cleanse`: one more cleansing instance beside a running hub (scale out, or a dedicated
 * machine). It joins the same consumer group; Postgres holds the offsets that count. It opens the
 * same resource plugins as the hub, without HTTP, and starts cleansing's workers on them.
 */
export async function runCleanseCommand({ config, log, refreshMs = 30_000 }: { config: HubConfig; log: Logger; refreshMs?: number }): Promise<void> {
  const secrets = await loadOrCreateSecrets(config.stateDir, [...serviceUserNames, databaseRoleSecret(config)]);
  const { connection, broker } = await resolveKafka(config, secrets, log, { reuseRunning: true });
  const app = Fastify();
  try {
    const admin = await openAdmin(connection, config, log);
    try {
      await ensureServiceUsers(admin, secrets.serviceUsers, { cleansingGroup: config.cleansing.groupId });
    } finally {
      await admin.close().catch(() => undefined);
    }
    await app.register(metricsPlugin);
    await app.register(dbPlugin, {
      config,
      log,
      ...(secrets.serviceUsers[databaseRoleSecret(config)] ? { appPassword: secrets.serviceUsers[databaseRoleSecret(config)] } : {}),
    });
    await app.register(redisPlugin, { config, log });
    // Cleansing runs as its own service user; the admin user only creates topics.
    await app.register(kafkaPlugin, {
      connection,
      log,
      replication: replicationOf(config),
      services: { cleansing: serviceConnections(connection, secrets.serviceUsers).cleansing },
    });
    // The running hub's registry, as the hub's own principal.
    const registry = createRegistryClient({
      url: config.registry.url ?? `${config.client.url}/registry`,
      username: config.registry.username ?? servicePrincipalName,
      password: config.registry.password ?? secrets.serviceToken,
    });
    await app.register(registryClientPlugin, { config, serviceName: servicePrincipalName, serviceToken: secrets.serviceToken, registry });
    await app.ready();
    const cleansing = await startCleansingWorkers(app, { config, log });
    const timer = setInterval(() => {
      cleansing.refresh().catch((err: unknown) => log.warn({ err }, 'cleansing refresh failed'));
    }, refreshMs);
    log.info({ group: config.cleansing.groupId }, 'cleansing running; Ctrl-C stops it');
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    clearInterval(timer);
    await cleansing.stop();
  } finally {
    await app.close().catch(() => undefined);
    await broker?.stop();
  }
}
