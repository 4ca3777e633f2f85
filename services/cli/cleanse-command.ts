import { Registry } from 'prom-client';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { openPool } from '../platform/db/pool.ts';
import { migrate } from '../platform/db/migrate.ts';
import { openRedis } from '../platform/redis.ts';
import { createKafkaClient } from '../platform/kafka/client.ts';
import { createAdmin } from '../platform/kafka/admin.ts';
import { createProducer } from '../platform/kafka/producer.ts';
import { createScramAdmin } from '../platform/kafka/scram.ts';
import { createRegistryClient } from '../platform/registry-client.ts';
import { loadOrCreateSecrets } from '../platform/secrets.ts';
import { resolveKafka } from '../hub/kafka-connection.ts';
import { servicePrincipalName, serviceUserNames } from '../hub/topology.ts';
import { createCleansingWorker } from '../cleansing/assemble.ts';

/**
 * `hub cleanse`: one more cleansing instance beside a running hub (scale out, or a dedicated
 * machine). It joins the same consumer group; Postgres holds the offsets that count.
 */
export async function runCleanseCommand({ config, log, refreshMs = 30_000 }: { config: HubConfig; log: Logger; refreshMs?: number }): Promise<void> {
  const secrets = await loadOrCreateSecrets(config.stateDir, serviceUserNames);
  const pool = await openPool({ ...config.database, log });
  const closers: (() => Promise<unknown>)[] = [() => pool.end()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    await migrate({ pool, log });
    const redis = await openRedis({ ...config.redis, log });
    closers.push(async () => redis.disconnect());
    const { connection, broker } = await resolveKafka(config, secrets, log, { reuseRunning: true });
    if (broker) closers.push(() => broker.stop());
    const kafka = createKafkaClient(connection, log);
    const admin = await createAdmin({ kafka, scram: createScramAdmin(connection) });
    closers.push(() => admin.close());
    const producer = await createProducer({ kafka });
    closers.push(() => producer.close());
    const registry = createRegistryClient({
      url: config.registry.url ?? `${config.client.url}/registry`,
      username: config.registry.username ?? servicePrincipalName,
      password: config.registry.password ?? secrets.serviceToken,
    });
    const worker = createCleansingWorker({ config, pool, redis, kafka, admin, producer, registry, metrics: new Registry(), log });
    await worker.start();
    closers.push(() => worker.stop());
    const timer = setInterval(() => {
      worker.refresh().catch((err: unknown) => log.warn({ err }, 'cleansing refresh failed'));
    }, refreshMs);
    log.info({ group: config.cleansing.groupId }, 'cleansing running; Ctrl-C stops it');
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    clearInterval(timer);
  } finally {
    await closeAll();
  }
}
