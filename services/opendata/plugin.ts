import fp from 'fastify-plugin';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { authenticated } from '../principals/auth-plugin.ts';
import { createFeedbackStore } from './feedback-store.ts';
import { openApiRoutes } from './routes.ts';
import { openPublicRoutes } from './public-routes.ts';
import { createOpenDataService, type OpenDataService } from './service.ts';
import { createOpenStore } from './store.ts';
import { openPortalRoutes } from './portal.ts';
import { jurisdictions } from '../platform/calendar/jurisdictions.ts';
import { createApplicationStore } from './application-store.ts';
import { createApplicationService, type ApplicationService } from './applications.ts';

declare module 'fastify' {
  interface FastifyInstance {
    openData: OpenDataService;
    openApplications: ApplicationService;
  }
}

/** Open data (开放): the portal at /open for the public, its requests and reviews under /api/v1/open. */
export const openDataPlugin = fp<{ config: HubConfig; log: Logger }>(
  async (app, { config, log }) => {
    const open = createOpenDataService({
      pool: app.db,
      store: createOpenStore({ pool: app.db }),
      feedback: createFeedbackStore({ pool: app.db }),
      catalog: app.catalog,
      schemaPrefix: config.cleansing.schemaPrefix,
      maxDownloads: config.open.maxDownloads,
      record: (event) => app.audit.append(app.db, event),
      log: log.child({ module: 'open-data' }),
    });
    const record = (event: Parameters<typeof app.audit.append>[1]) => app.audit.append(app.db, event);
    const applications = createApplicationService({
      store: createApplicationStore({ pool: app.db }),
      principals: app.principals,
      visible: (dataset) => open.visible(dataset),
      profile: jurisdictions[config.jurisdiction],
      record,
      log: log.child({ module: 'open-applications' }),
    });
    app.decorate('openData', open);
    app.decorate('openApplications', applications);
    await app.register(authenticated(openApiRoutes), { prefix: '/api/v1', open, applications });
    await app.register(openPublicRoutes, {
      prefix: '/open',
      open,
      applications,
      record,
      redis: app.redis,
      apiPerMinute: config.open.apiPerMinute,
      feedbackPerHour: config.open.feedbackPerHour,
    });
    await app.register(openPortalRoutes);
  },
  { name: 'hub-open-data', dependencies: ['hub-db', 'hub-redis', 'hub-principals', 'hub-audit', 'hub-catalog'] },
);
