import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { LocalBroker } from '../services/platform/kafka/local-broker.ts';
import { createLogger } from '../services/platform/logger.ts';
import { newPassword } from '../services/platform/crypto.ts';
import { freePort } from '../services/platform/net.ts';
import { loadConfig, readEnvironment } from '../services/platform/config.ts';
import { loadOrCreateSecrets } from '../services/platform/secrets.ts';
import { serviceUserNames } from '../services/hub/topology.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    hubEnv: Record<string, string>;
  }
}

/**
 * One real Kafka broker for the whole run, on free ports with its own state folder, so tests run
 * beside a hub started by `npm start`. Postgres and Redis are this machine's servers; a test
 * database (hub_test) and per-file schemas and key prefixes keep tests apart.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // One folder per run: several runs (and a hub from `npm start`) can share this checkout.
  const stateDir = resolve('.hub-test', `run-${process.pid}`);
  await mkdir(stateDir, { recursive: true });
  // Written once here: every hub process and test of the run shares the service users' passwords.
  await loadOrCreateSecrets(stateDir, serviceUserNames);
  const [port, controllerPort] = [await freePort(), await freePort()];
  const superPassword = newPassword();
  const log = createLogger({ level: 'warn' });
  const broker = new LocalBroker({
    dir: join(stateDir, 'kafka'),
    port,
    controllerPort,
    heap: '768m',
    superUser: 'hub-admin',
    superPassword,
    startTimeoutMs: 180_000,
    toolEnv: loadConfig(readEnvironment()).kafka.local.toolEnv,
    log,
  });
  await broker.start();
  // The environment a user would give the hub; TEST_* variables let CI point at other servers.
  const env = readEnvironment();
  project.provide('hubEnv', {
    HUB_STATE_DIR: stateDir,
    HUB_PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/hub_test',
    REDIS_URL: env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    REDIS_KEY_PREFIX: 'hub-test:',
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_USERNAME: 'hub-admin',
    KAFKA_PASSWORD: superPassword,
    HUB_AUTH_CACHE_TTL_MS: '0',
    // Short alert streams: a test that opens one (the role table) gets its end soon.
    HUB_ALERT_STREAM_MAX_MS: '300',
    HUB_ALERT_STREAM_POLL_MS: '100',
  });
  return async () => {
    await broker.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
}
