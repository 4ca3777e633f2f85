import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { loadConfig, logLevelOf, type HubConfig } from '../../services/platform/config.ts';
import { createLogger, type Logger } from '../../services/platform/logger.ts';
import { LocalBroker } from '../../services/platform/kafka/local-broker.ts';
import type { KafkaConnection } from '../../services/platform/kafka/client.ts';
import { openPool, quoteIdent } from '../../services/platform/db/pool.ts';
import { newPassword, newToken } from '../../services/platform/crypto.ts';
import { buildApp } from '../../services/hub/build-app.ts';
import { ensureServicePrincipal } from '../../services/hub/bootstrap.ts';
import { servicePrincipalName } from '../../services/hub/topology.ts';
import { freePort } from '../../services/platform/net.ts';

export interface BenchEnvironment {
  app: FastifyInstance;
  url: string;
  config: HubConfig;
  connection: KafkaConnection;
  serviceToken: string;
  log: Logger;
  close(): Promise<void>;
}

/**
 * A whole hub of its own for benchmarking: a fresh local broker in a temp folder, a fresh Postgres
 * schema in hub_bench and its own Redis prefix, so a bench runs beside `npm start` and `npm test`.
 */
export async function startBenchEnvironment(env: Record<string, string | undefined>): Promise<BenchEnvironment> {
  const log = createLogger({ level: logLevelOf(env, 'warn') });
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-'));
  const superPassword = newPassword();
  const broker = new LocalBroker({
    dir: join(dir, 'kafka'),
    port: await freePort(),
    controllerPort: await freePort(),
    heap: '1g',
    superUser: 'hub-admin',
    superPassword,
    startTimeoutMs: 180_000,
    toolEnv: loadConfig(env).kafka.local.toolEnv,
    log,
  });
  await broker.start();
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    HUB_STATE_DIR: dir,
    LOG_LEVEL: 'warn',
    DATABASE_URL: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/hub_bench',
    DATABASE_SCHEMA: schema,
    HUB_LANDING_SCHEMA_PREFIX: `${schema}_`,
    REDIS_KEY_PREFIX: `hub-bench:${schema}:`,
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_USERNAME: 'hub-admin',
    KAFKA_PASSWORD: superPassword,
  });
  const connection: KafkaConnection = {
    brokers: broker.brokers,
    username: 'hub-admin',
    password: superPassword,
    clientId: 'hub-bench',
    connectTimeoutMs: 5000,
    requestTimeoutMs: 30_000,
  };
  const serviceToken = newToken();
  let app: FastifyInstance | null = null;
  // The bench owns its throw-away schemas, so it runs the hub on the owner's pool and drops them at the end.
  const pool = await openPool({ ...config.database, log });
  try {
    app = await buildApp(config, { log, kafka: connection, pool, service: { name: servicePrincipalName, token: serviceToken } });
    await ensureServicePrincipal(app, serviceToken);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const running = app;
    return {
      app: running,
      url,
      config,
      connection,
      serviceToken,
      log,
      async close() {
        for (const s of [schema, `${schema}_base`, `${schema}_theme`])
          await running.db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(s)} CASCADE`).catch(() => undefined);
        await running.close();
        await pool.end();
        await broker.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await app?.close();
    await pool.end().catch(() => undefined);
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
