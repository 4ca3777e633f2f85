import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import type { Pool } from '../../services/platform/db/pool.ts';
import { createAuthenticator } from '../../services/principals/authenticator.ts';
import { createPrincipalStore } from '../../services/principals/store.ts';
import { newToken } from '../../services/platform/crypto.ts';
import type { Authenticator, Role } from '../../services/principals/types.ts';
import type { CanWriteSubject } from '../../services/registry/auth.ts';
import { registryPlugin } from '../../services/registry/plugin.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

export interface Caller {
  name: string;
  token: string;
  /** Value of the Authorization header, as Confluent clients send it. */
  auth: string;
}

export function basicAuth(name: string, token: string): string {
  return `Basic ${Buffer.from(`${name}:${token}`).toString('base64')}`;
}

export function uniqueSubject(prefix = 'subject'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}-value`;
}

export async function buildRegistryApp({
  pool,
  authenticator,
  canWriteSubject,
}: {
  pool: Pool;
  authenticator: Authenticator;
  canWriteSubject?: CanWriteSubject;
}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(
    registryPlugin,
    canWriteSubject ? { prefix: '/registry', pool, authenticator, canWriteSubject } : { prefix: '/registry', pool, authenticator },
  );
  await app.ready();
  return app;
}

export interface Harness {
  db: TestDb;
  app: FastifyInstance;
  authenticator: Authenticator;
  authority: Caller;
  consumer: Caller;
  department: Caller;
  /** app.inject under /registry, as the authority unless `as` says otherwise; JSON bodies are sent as Confluent clients do. */
  call(method: InjectOptions['method'], path: string, opts?: { as?: Caller | null; body?: unknown }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A fresh schema, three principals and a bare fastify app with only the registry plugin. */
export async function startRegistry({ canWriteSubject }: { canWriteSubject?: CanWriteSubject } = {}): Promise<Harness> {
  const db = await createTestDb();
  const store = createPrincipalStore({ pool: db.pool });
  const authenticator = createAuthenticator({ store, cacheTtlMs: 0 });
  const suffix = randomBytes(3).toString('hex');
  const make = async (role: Role): Promise<Caller> => {
    const name = `${role}-${suffix}`;
    const token = newToken();
    await store.insert({ name, role, token, kafkaUser: name });
    return { name, token, auth: basicAuth(name, token) };
  };
  const [authority, consumer, department] = [await make('authority'), await make('consumer'), await make('department')];
  const app = await buildRegistryApp(canWriteSubject ? { pool: db.pool, authenticator, canWriteSubject } : { pool: db.pool, authenticator });
  return {
    db,
    app,
    authenticator,
    authority,
    consumer,
    department,
    call(method, path, { as = authority, body } = {}) {
      const headers: Record<string, string> = {};
      if (as) headers.authorization = as.auth;
      if (body !== undefined) headers['content-type'] = 'application/vnd.schemaregistry.v1+json';
      return app.inject({ method, url: `/registry${path}`, headers, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
    },
    async close() {
      await app.close();
      await db.cleanup();
    },
  };
}

export const enc = encodeURIComponent;

/** A record schema as registered text. */
export function recordSchema(fields: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'record', name: 'Person', namespace: 'gov.test', fields, ...extra });
}
