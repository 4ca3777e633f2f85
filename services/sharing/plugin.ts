import fp from 'fastify-plugin';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { jurisdictions } from '../platform/calendar/jurisdictions.ts';
import { authenticated } from '../principals/auth-plugin.ts';
import { createApplicationStore } from './application-store.ts';
import { createSharingService, type SharingService } from './applications.ts';
import { createGrantService, type GrantService } from './grant-service.ts';
import { sharingRoutes } from './routes.ts';
import { createVerificationGrantStore } from './verification-grants.ts';
import { verificationRoutes } from './verification-routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    grants: GrantService;
    sharing: SharingService;
  }
}

/** Scenarios, applications, grants on share topics and the verification interface, with their routes. */
export const sharingPlugin = fp<{ config: HubConfig; log: Logger; keyHashSecret?: string }>(
  async (app, { config, log, keyHashSecret }) => {
    app.decorate(
      'grants',
      createGrantService({
        pool: app.db,
        kafka: app.kafka.as.sharing.client,
        admin: app.kafka.admin,
        registry: app.registry,
        producer: app.kafka.as.sharing.producer,
        log,
        schemaPrefix: config.cleansing.schemaPrefix,
        catalog: app.catalog,
        outboxOrigin: config.database.schema,
        handoverTimeoutMs: config.sharing.handoverTimeoutMs,
      }),
    );
    const store = createApplicationStore({ pool: app.db });
    const verificationGrants = createVerificationGrantStore({ pool: app.db, cacheMs: config.verification.grantCacheMs });
    app.decorate(
      'sharing',
      createSharingService({
        pool: app.db,
        store,
        catalog: app.catalog,
        grants: app.grants,
        verificationGrants,
        profile: jurisdictions[config.jurisdiction],
        log,
        audit: app.audit,
        timerLeaseMs: config.sharing.timerLeaseMs,
      }),
    );
    await app.register(authenticated(sharingRoutes), { prefix: '/api/v1', sharing: app.sharing, store, grants: app.grants });
    await app.register(authenticated(verificationRoutes), {
      prefix: '/api/v1',
      config,
      catalog: app.catalog,
      pool: app.db,
      redis: app.redis,
      log,
      audit: app.audit,
      canVerify: (p, dataset, fields) => verificationGrants.covers(p.name, dataset, fields),
      ...(keyHashSecret ? { keyHashSecret } : {}),
    });
  },
  { name: 'hub-sharing', dependencies: ['hub-db', 'hub-redis', 'hub-kafka', 'hub-registry-client', 'hub-catalog', 'hub-audit'] },
);
