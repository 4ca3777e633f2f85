import fp from 'fastify-plugin';
import type { HubConfig } from '../platform/config.ts';
import { authenticated } from '../principals/auth-plugin.ts';
import { type AlertStore, createAlertStore } from './alerts.ts';
import { createProgressStore } from './progress-store.ts';
import { cleansingRoutes } from './routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    qualityAlerts: AlertStore;
  }
}

/** Quality alerts and cleansing stats for stewards; the cleansing worker itself starts from workers.ts. */
export const cleansingPlugin = fp<{ config: HubConfig }>(
  async (app, { config }) => {
    app.decorate('qualityAlerts', createAlertStore({ pool: app.db }));
    await app.register(authenticated(cleansingRoutes), {
      prefix: '/api/v1',
      alerts: app.qualityAlerts,
      progress: createProgressStore({ pool: app.db, groupId: config.cleansing.groupId }),
      catalogEntries: () => app.catalog.active(),
      admin: app.kafka.admin,
      groupId: config.cleansing.groupId,
      record: (event) => app.audit.append(app.db, event),
    });
  },
  { name: 'hub-cleansing', dependencies: ['hub-db', 'hub-kafka', 'hub-audit', 'hub-catalog'] },
);
