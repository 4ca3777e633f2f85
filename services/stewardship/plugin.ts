import fp from 'fastify-plugin';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import { jurisdictions } from '../platform/calendar/jurisdictions.ts';
import { authenticated } from '../principals/auth-plugin.ts';
import { createOverride } from '../cleansing/override.ts';
import { createAlertActions } from './alert-actions.ts';
import { createCorrectionStore } from './correction-store.ts';
import { type CorrectionService, createCorrectionService } from './corrections.ts';
import { stewardshipRoutes } from './routes.ts';
import { createScorecards } from './scorecards.ts';

declare module 'fastify' {
  interface FastifyInstance {
    corrections: CorrectionService;
  }
}

/** The stewardship console's API: decisions on quality alerts, correction requests, department scorecards. */
export const stewardshipPlugin = fp<{ config: HubConfig; log: Logger }>(
  async (app, { config, log }) => {
    const schemaPrefix = config.cleansing.schemaPrefix;
    const store = createCorrectionStore({ pool: app.db });
    const record = app.audit.append.bind(app.audit);
    app.decorate(
      'corrections',
      createCorrectionService({
        pool: app.db,
        store,
        catalog: app.catalog,
        profile: jurisdictions[config.jurisdiction],
        schemaPrefix,
        canReport: async (consumer, dataset, fields) =>
          (await app.grants.list(consumer)).some(
            (g) =>
              g.status === 'active' &&
              // Past its expiry is over, even before the expiry timer ends it.
              g.expiresAt.getTime() > Date.now() &&
              g.datasets.some((d) => d.dataset === dataset && fields.every((f) => d.fields.includes(f))),
          ),
        record,
        log: log.child({ module: 'corrections' }),
      }),
    );
    const override = createOverride({ pool: app.db, registry: app.registry, contractOf: (d) => app.catalog.contractOf(d), schemaPrefix });
    await app.register(authenticated(stewardshipRoutes), {
      prefix: '/api/v1',
      alerts: app.qualityAlerts,
      actions: createAlertActions({ alerts: app.qualityAlerts, override, corrections: app.corrections, record }),
      corrections: app.corrections,
      scorecards: createScorecards({
        pool: app.db,
        catalog: app.catalog,
        alerts: app.qualityAlerts,
        corrections: store,
        sharing: app.sharing,
        freshness: app.freshness,
        audit: app.audit,
        schemaPrefix,
      }),
      catalog: app.catalog,
      pool: app.db,
      schemaPrefix,
      overdueDays: config.stewardship.alertOverdueDays,
      stream: { pollMs: config.stewardship.streamPollMs, maxMs: config.stewardship.streamMaxMs, lookbackMs: config.stewardship.streamLookbackMs },
    });
  },
  { name: 'hub-stewardship', dependencies: ['hub-db', 'hub-audit', 'hub-catalog', 'hub-ingest', 'hub-cleansing', 'hub-sharing'] },
);
