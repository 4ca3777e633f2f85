import fp from 'fastify-plugin';
import type { AddressInfo } from 'node:net';
import type { Kafka } from 'kafkajs';
import type { HubConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { openPool, type Pool } from '../db/pool.ts';
import { migrate } from '../db/migrate.ts';
import { ensureAppRole } from '../db/roles.ts';
import { randomBytes } from 'node:crypto';
import { openRedis, type Redis } from '../redis.ts';
import { createKafkaClient, type KafkaConnection } from '../kafka/client.ts';
import { createAdmin, type HubAdmin, type Replication } from '../kafka/admin.ts';
import { createProducer, type HubProducer } from '../kafka/producer.ts';
import { createScramAdmin } from '../kafka/scram.ts';
import { createRegistryClient, type RegistryClient } from '../registry-client.ts';
import { HubError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Pool;
    redis: Redis;
    kafka: {
      client: Kafka;
      connection: KafkaConnection;
      admin: HubAdmin;
      producer: HubProducer;
      /** The client and producer each kind of work runs as: its own least-privilege user, or the main connection's. */
      as: Readonly<Record<WorkIdentity, { client: Kafka; producer: HubProducer }>>;
    };
    registry: RegistryClient;
  }
}

/**
 * Each resource is a plugin that opens itself (unless the caller injected one, which the caller
 * then owns) and closes itself when the app closes.
 */
export const dbPlugin = fp<{ config: HubConfig; log: Logger; pool?: Pool; appPassword?: string }>(
  async (app, { config, log, pool, appPassword }) => {
    const dbLog = log.child({ module: 'db' });
    if (pool) {
      // An injected pool is the caller's (tests): it is used as it is.
      await migrate({ pool, log: log.child({ module: 'migrate' }) });
      app.decorate('db', pool);
      return;
    }
    // The DATABASE_URL user migrates and sets up the application role; requests run as that role.
    const owner = await openPool({ ...config.database, log: dbLog });
    const password = appPassword ?? randomBytes(24).toString('base64url');
    try {
      await migrate({ pool: owner, log: log.child({ module: 'migrate' }) });
      const prefix = config.cleansing.schemaPrefix;
      await ensureAppRole(owner, {
        role: config.database.appRole,
        password,
        schema: config.database.schema,
        landingSchemas: [`${prefix}base`, `${prefix}theme`],
      });
    } finally {
      await owner.end().catch(() => undefined);
    }
    const url = new URL(config.database.url);
    url.username = config.database.appRole;
    url.password = password;
    const db = await openPool({ ...config.database, url: url.toString(), log: dbLog });
    app.addHook('onClose', () => db.end());
    app.decorate('db', db);
  },
  { name: 'hub-db' },
);

export const redisPlugin = fp<{ config: HubConfig; log: Logger; redis?: Redis }>(
  async (app, { config, log, redis }) => {
    const client = redis ?? (await openRedis({ ...config.redis, log: log.child({ module: 'redis' }) }));
    if (!redis) app.addHook('onClose', async () => void (await client.quit().catch(() => client.disconnect())));
    app.decorate('redis', client);
  },
  { name: 'hub-redis' },
);

export type WorkIdentity = 'ingest' | 'cleansing' | 'sharing';

export const kafkaPlugin = fp<{
  connection: KafkaConnection;
  log: Logger;
  /** How topics the hub creates are replicated (config.kafka). */
  replication?: Replication;
  admin?: HubAdmin;
  producer?: HubProducer;
  /** Each kind of work's own Kafka user; without one, that work uses `connection` (the admin user). */
  services?: Partial<Record<WorkIdentity, KafkaConnection>>;
}>(
  async (app, { connection, log, replication, admin, producer, services = {} }) => {
    const client = createKafkaClient(connection, log);
    const a = admin ?? (await createAdmin({ kafka: client, scram: createScramAdmin(connection), ...(replication ? { replication } : {}) }));
    const p = producer ?? (await createProducer({ kafka: client }));
    const own: HubProducer[] = [];
    const as = {} as Record<WorkIdentity, { client: Kafka; producer: HubProducer }>;
    for (const work of ['ingest', 'cleansing', 'sharing'] as const) {
      const c = services[work];
      if (!c) {
        as[work] = { client, producer: p };
        continue;
      }
      const workClient = createKafkaClient(c, log);
      const workProducer = await createProducer({ kafka: workClient });
      own.push(workProducer);
      as[work] = { client: workClient, producer: workProducer };
    }
    app.addHook('onClose', async () => {
      for (const o of own) await o.close().catch(() => undefined);
      if (!producer) await p.close().catch(() => undefined);
      if (!admin) await a.close().catch(() => undefined);
    });
    app.decorate('kafka', { client, connection, admin: a, producer: p, as });
  },
  { name: 'hub-kafka' },
);

/**
 * The registry client. With no SCHEMA_REGISTRY_URL it calls this hub's own /registry over HTTP
 * (the same path every Confluent client takes), so it is created on first use, after listen.
 */
export const registryClientPlugin = fp<{
  config: HubConfig;
  serviceName: string;
  serviceToken: string;
  registry?: RegistryClient;
  /** Where the hub's own /registry answers in plain HTTP on loopback, when the public port is HTTPS. */
  loopbackUrl?: () => string | null;
}>(
  async (app, { config, serviceName, serviceToken, registry, loopbackUrl }) => {
    let client: RegistryClient | null = registry ?? null;
    const get = (): RegistryClient => {
      if (client) return client;
      let url = config.registry.url ?? loopbackUrl?.() ?? null;
      if (!url) {
        const address = app.server.address() as AddressInfo | null;
        if (!address) throw new HubError('HUB_ERR_REGISTRY_UNAVAILABLE', 'the built-in registry is used before the hub listens');
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}/registry`;
      }
      client = createRegistryClient({ url, username: config.registry.username ?? serviceName, password: config.registry.password ?? serviceToken });
      return client;
    };
    app.decorate('registry', {
      register: (s, schema) => get().register(s, schema),
      latestId: (s) => get().latestId(s),
      latest: (s) => get().latest(s),
      subjectsOf: (id) => get().subjectsOf(id),
      encode: (id, v) => get().encode(id, v),
      encodeMany: (id, v) => get().encodeMany(id, v),
      decode: (b) => get().decode(b),
    });
  },
  { name: 'hub-registry-client' },
);
