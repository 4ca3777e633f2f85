import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppDeps } from '../../services/hub/build-app.ts';
import { ensureServicePrincipal } from '../../services/hub/bootstrap.ts';
import { servicePrincipalName } from '../../services/hub/topology.ts';
import type { Env, HubConfig } from '../../services/platform/config.ts';
import { newToken } from '../../services/platform/crypto.ts';
import type { PrincipalCredentials, Role } from '../../services/principals/types.ts';
import type { CatalogEntry } from '../../services/catalog/entry.ts';
import { createTestDb, type TestDb } from './db.ts';
import { startCleansingWorkers } from '../../services/cleansing/workers.ts';
import type { CleansingWorker } from '../../services/cleansing/worker.ts';
import { createGrantService, type GrantService } from '../../services/sharing/grant-service.ts';
import { waitFor } from './wait.ts';
import { testConnection, uniqueName } from './kafka.ts';
import { testConfig } from './config.ts';
import { testLogger } from './logger.ts';
import { connectorTransactionalPrefix, parseRawTopic } from '../../services/contract/names.ts';

export interface TestApp {
  app: FastifyInstance;
  config: HubConfig;
  db: TestDb;
  /** A principal with a real Kafka user and token; disabled and removed by cleanup(). */
  principal(role: Exclude<Role, 'service'>, prefix?: string): Promise<PrincipalCredentials>;
  auth(creds: { token: string }): { authorization: string };
  /** An onboarded department (via the API, as an authority); its topics, ACLs and user go at cleanup(). */
  department(prefix?: string): Promise<PrincipalCredentials>;
  /** Declares a dataset for a department (as that department) and returns the entry. */
  declare(dept: PrincipalCredentials, body: Record<string, unknown>): Promise<CatalogEntry>;
  /** An API call as `who` (path below /api/v1). */
  api(who: { token: string }, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown): Promise<LightMyRequestResponse>;
  /** Sends records over HTTP as a department; anything but 200 fails the test. */
  send(who: { token: string }, dataset: string, records: readonly unknown[]): Promise<void>;
  /** Waits until cleansing has read at least `n` records of `provider` for `dataset`. */
  cleansedFrom(provider: string, dataset: string, n: number): Promise<void>;
  /** Declares a dataset for a department and, when another already provides it, enrols it as the authority would. */
  provide(dept: PrincipalCredentials, body: Record<string, unknown>): Promise<CatalogEntry>;
  /** Approves a pending provider as the data authority, naming field authorities; returns the active entry. */
  enrol(entry: CatalogEntry, authorities?: Record<string, string>): Promise<CatalogEntry>;
  /** Applies, as `who`, to verify `fields` (all of the contract's by default) of an unconditional dataset; granted at once. */
  grantVerification(who: PrincipalCredentials, dataset: string, fields?: string[]): Promise<void>;
  /** A cleansing worker of its own group on this app's catalog, started; stopped by cleanup(). */
  startCleansing(): Promise<CleansingWorker>;
  /** A grant service streaming with a group of its own, started; stopped by cleanup(). */
  startGrants(): Promise<GrantService>;
  /** Waits until the landing table `<layer>.<name>` of `dataset` holds at least `n` rows. */
  landed(dataset: string, n: number): Promise<void>;
  /** The data authority the helper onboards departments with. */
  authority(): Promise<PrincipalCredentials>;
  cleanup(): Promise<void>;
}

/**
 * The hub app on the test broker, a fresh Postgres schema and its own Redis key prefix. With
 * `listen`, it serves on 127.0.0.1 (needed by the built-in registry client).
 */
export async function createTestApp({ listen = false, deps = {}, env = {} }: { listen?: boolean; deps?: Partial<AppDeps>; env?: Env } = {}): Promise<TestApp> {
  const db = await createTestDb();
  const config = testConfig({
    ...env,
    REDIS_KEY_PREFIX: `hub-test:${randomBytes(4).toString('hex')}:`,
    DATABASE_SCHEMA: db.schema,
    HUB_LANDING_SCHEMA_PREFIX: `${db.schema}_`,
  });
  const serviceToken = newToken();
  const app = await buildApp(config, {
    log: testLogger(),
    kafka: testConnection(),
    service: { name: servicePrincipalName, token: serviceToken },
    pool: db.pool,
    ...deps,
  });
  await ensureServicePrincipal(app, serviceToken);
  if (listen) await app.listen({ host: '127.0.0.1', port: 0 });
  const created: string[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  const departments: string[] = [];
  let authority: PrincipalCredentials | null = null;
  const principal = async (role: Exclude<Role, 'service'>, prefix: string = role) => {
    const creds = await app.principals.create({ name: uniqueName(prefix), role });
    created.push(creds.name);
    return creds;
  };
  const testApp: TestApp = {
    app,
    config,
    db,
    principal,
    auth: ({ token }) => ({ authorization: `Bearer ${token}` }),
    async department(prefix = 'dept') {
      authority ??= await principal('authority');
      const name = uniqueName(prefix);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/departments',
        headers: { authorization: `Bearer ${authority.token}` },
        payload: { name, displayName: `测试部门 ${name}` },
      });
      if (res.statusCode !== 201) throw new Error(`onboarding ${name} failed: ${res.statusCode} ${res.body}`);
      departments.push(name);
      created.push(name);
      return (res.json() as { credentials: PrincipalCredentials }).credentials;
    },
    async declare(dept, body) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/catalog', headers: { authorization: `Bearer ${dept.token}` }, payload: body });
      if (res.statusCode !== 201) throw new Error(`declaring ${JSON.stringify(body)} failed: ${res.statusCode} ${res.body}`);
      return res.json() as CatalogEntry;
    },
    api: (who, method, url, payload) =>
      app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${who.token}` },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      }),
    async send(who, dataset, records) {
      const res = await testApp.api(who, 'POST', `/datasets/${dataset}/records`, { records });
      if (res.statusCode !== 200) throw new Error(`sending to ${dataset} answered ${res.statusCode}: ${res.body}`);
    },
    async cleansedFrom(provider, dataset, n) {
      await waitFor(
        () =>
          db.pool
            .query<{ n: string }>('SELECT records_in AS n FROM cleansing_counts WHERE provider = $1 AND dataset = $2', [provider, dataset])
            .then((r) => Number(r.rows[0]?.n ?? 0)),
        (x) => x >= n,
      );
    },
    async provide(dept, body) {
      const entry = await testApp.declare(dept, body);
      return entry.status === 'pending' ? testApp.enrol(entry) : entry;
    },
    async enrol(entry, authorities = {}) {
      authority ??= await principal('authority');
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/catalog/${entry.id}/enrolment`,
        headers: { authorization: `Bearer ${authority.token}` },
        payload: { decision: 'approve', authorities, reason: '经审核同意' },
      });
      if (res.statusCode !== 200) throw new Error(`enrolling ${entry.id} failed: ${res.statusCode} ${res.body}`);
      return res.json() as CatalogEntry;
    },
    async grantVerification(who, dataset, fields) {
      const all = fields ?? (await app.catalog.contractOf(dataset)).fields.map((f) => f.name);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/applications',
        headers: { authorization: `Bearer ${who.token}` },
        payload: {
          purpose: '身份核验',
          use: 'verification',
          datasets: [{ dataset, fields: all }],
          validUntil: new Date(Date.now() + 86_400_000).toISOString(),
        },
      });
      if (res.statusCode !== 201 || (res.json() as { status: string }).status !== 'granted')
        throw new Error(`verification grant for ${who.name} on ${dataset} failed: ${res.statusCode} ${res.body}`);
    },
    async startCleansing() {
      const cleansing = await startCleansingWorkers(app, { config, log: testLogger(), groupId: uniqueName('cleansing') });
      stoppers.push(() => cleansing.stop());
      return cleansing.worker;
    },
    async startGrants() {
      const grants = createGrantService({
        pool: db.pool,
        kafka: app.kafka.client,
        admin: app.kafka.admin,
        registry: app.registry,
        producer: app.kafka.producer,
        log: testLogger(),
        schemaPrefix: config.cleansing.schemaPrefix,
        catalog: app.catalog,
        streamerGroupId: uniqueName('share'),
        outboxOrigin: db.schema,
      });
      await grants.start();
      stoppers.push(() => grants.stop());
      return grants;
    },
    async landed(dataset, n) {
      const [layer, name] = dataset.split('.');
      await waitFor(
        () =>
          db.pool
            .query<{ n: string }>(`SELECT count(*) AS n FROM "${db.schema}_${layer}"."${name}"`)
            .then((r) => Number(r.rows[0]?.n ?? 0))
            .catch(() => 0),
        (x) => x >= n,
      );
    },
    async authority() {
      authority ??= await principal('authority');
      return authority;
    },
    async cleanup() {
      for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
      if (departments.length > 0) {
        const topics = (await app.kafka.admin.listTopics()).filter((t) =>
          departments.some((d) => parseRawTopic(t)?.provider === d || t.startsWith(connectorTransactionalPrefix(d))),
        );
        if (topics.length > 0) await app.kafka.admin.deleteTopics(topics);
      }
      for (const name of created) {
        const acls = await app.kafka.admin.aclsOf(name);
        await app.kafka.admin.revoke(acls);
        await app.principals.disable(name).catch(() => undefined);
      }
      const prefix = config.redis.keyPrefix;
      const keys = await app.redis.keys(`${prefix}*`);
      if (keys.length > 0) await app.redis.del(...keys.map((k) => k.slice(prefix.length)));
      await app.close();
      for (const layer of ['base', 'theme']) await db.pool.query(`DROP SCHEMA IF EXISTS "${db.schema}_${layer}" CASCADE`);
      await db.cleanup();
    },
  };
  return testApp;
}
