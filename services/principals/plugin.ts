import fp from 'fastify-plugin';
import type { HubConfig } from '../platform/config.ts';
import { createAuthenticator } from './authenticator.ts';
import { authenticated } from './auth-plugin.ts';
import { type ActRecorder, principalRoutes } from './routes.ts';
import { createPrincipalService, type PrincipalService } from './service.ts';
import { createCredentialVault } from './credentials.ts';
import { createPrincipalStore } from './store.ts';
import type { Authenticator } from './types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    principals: PrincipalService;
    authenticator: Authenticator;
  }
}

/** Who may call the hub: principals with their Kafka users, the authenticator every API scope uses, and /whoami, /principals. */
export const principalsPlugin = fp<{ config: HubConfig; record?: ActRecorder; keyHashSecret?: string }>(
  async (app, { config, record, keyHashSecret }) => {
    const store = createPrincipalStore({ pool: app.db });
    app.decorate('authenticator', createAuthenticator({ store, cacheTtlMs: config.auth.cacheTtlMs }));
    const vault = keyHashSecret ? createCredentialVault({ pool: app.db, keyHashSecret }) : undefined;
    app.decorate('principals', createPrincipalService({ store, admin: app.kafka.admin, ...(vault ? { vault } : {}) }));
    await app.register(authenticated(principalRoutes), { prefix: '/api/v1', principals: app.principals, ...(record ? { record } : {}) });
  },
  { name: 'hub-principals', dependencies: ['hub-db', 'hub-kafka'] },
);
