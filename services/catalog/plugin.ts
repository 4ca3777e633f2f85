import fp from 'fastify-plugin';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import { authenticated } from '../principals/auth-plugin.ts';
import { createContractStore } from './contracts.ts';
import { createDepartmentService, createDepartmentStore } from './departments.ts';
import { catalogRoutes } from './routes.ts';
import { type CatalogService, createCatalogService } from './service.ts';
import { createCatalogStore } from './store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    catalog: CatalogService;
  }
}

/** The unified catalog, dataset contracts and departments, with their routes. */
export const catalogPlugin = fp<{ config: HubConfig; log: Logger; schemas: readonly DatasetSchema[] }>(
  async (app, { config, log, schemas }) => {
    const departmentStore = createDepartmentStore({ pool: app.db });
    const departments = createDepartmentService({
      store: departmentStore,
      principals: app.principals,
      admin: app.kafka.admin,
      record: (event) => app.audit.append(app.db, event),
    });
    app.decorate(
      'catalog',
      createCatalogService({
        config,
        log,
        pool: app.db,
        store: createCatalogStore({ pool: app.db }),
        contracts: createContractStore({ pool: app.db }),
        departments: departmentStore,
        admin: app.kafka.admin,
        registry: app.registry,
        schemas: new Map(schemas.map((s) => [s.dataset, s])),
        audit: app.audit,
      }),
    );
    await app.register(authenticated(catalogRoutes), { prefix: '/api/v1', catalog: app.catalog, departments, departmentStore });
  },
  { name: 'hub-catalog', dependencies: ['hub-db', 'hub-kafka', 'hub-registry-client', 'hub-principals', 'hub-audit'] },
);
