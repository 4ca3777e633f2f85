import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { testConnection, uniqueName } from '../helpers/kafka.ts';
import { testConfig } from '../helpers/config.ts';
import { testLogger } from '../helpers/logger.ts';
import { buildApp } from '../../services/hub/build-app.ts';
import type { FastifyInstance } from 'fastify';

const schema = JSON.stringify({ type: 'record', name: 'Probe', namespace: 'gov.hub.test', fields: [{ name: 'id', type: 'string' }] });

describe('SCHEMA_REGISTRY_URL', () => {
  let registryHub: TestApp;
  let hub: FastifyInstance;
  beforeAll(async () => {
    registryHub = await createTestApp({ listen: true });
    const authority = await registryHub.principal('authority');
    const { port } = registryHub.app.server.address() as { port: number };
    const config = testConfig({
      DATABASE_SCHEMA: registryHub.db.schema,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}/registry`,
      SCHEMA_REGISTRY_USERNAME: authority.name,
      SCHEMA_REGISTRY_PASSWORD: authority.token,
    });
    hub = await buildApp(config, { log: testLogger(), kafka: testConnection(), service: { name: 'hub-system', token: 'unused' }, pool: registryHub.db.pool });
  });
  afterAll(async () => {
    await hub.close();
    await registryHub.cleanup();
  });

  it('sends schemas to the external registry and serves no registry of its own', async () => {
    const subject = uniqueName('ext');
    const id = await hub.registry.register(subject, schema);
    const stored = await registryHub.app.inject({
      url: `/registry/subjects/${subject}/versions/latest`,
      headers: registryHub.auth({ token: (await registryHub.principal('auditor')).token }),
    });
    expect(stored.json()).toMatchObject({ subject, id, version: 1 });
    expect((await hub.inject('/registry/subjects')).statusCode).toBe(404);
    const value = await hub.registry.encode(id, { id: 'x1' });
    expect(await registryHub.app.registry.decode(value)).toEqual({ id: 'x1' });
  });
});
