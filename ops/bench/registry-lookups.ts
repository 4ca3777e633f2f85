import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { BenchEnvironment } from './environment.ts';
import { report, round, throughput } from './stats.ts';
import { servicePrincipalName } from '../../services/hub/topology.ts';
import { valueSubject } from '../../services/contract/names.ts';

const schema = JSON.stringify({
  type: 'record',
  name: 'LookupProbe',
  namespace: 'gov.hub.bench',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'value', type: 'long' },
  ],
});

/** Schema-by-id lookups: over HTTP against GET /health/live, and from the client cache against HTTP. */
export async function benchRegistryLookups(env: BenchEnvironment, { requests = 5000, concurrency = 16 } = {}): Promise<void> {
  const id = await env.app.registry.register(valueSubject('bench.lookup'), schema);
  const authorization = `Basic ${Buffer.from(`${servicePrincipalName}:${env.serviceToken}`).toString('base64')}`;
  const get = async (path: string) => {
    const res = await fetch(`${env.url}${path}`, { headers: { authorization } });
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    await res.arrayBuffer();
  };
  await throughput(300, concurrency, () => get(`/registry/schemas/ids/${id}`));
  await throughput(300, concurrency, () => get('/health/live'));
  const baseline = await throughput(requests, concurrency, () => get('/health/live'));
  const http = await throughput(requests, concurrency, () => get(`/registry/schemas/ids/${id}`));
  report({
    bench: 'registry.schema_by_id',
    path: 'http',
    ops_per_sec: round(http),
    n: requests,
    concurrency,
    baseline: 'GET /health/live on the same server',
    baseline_ops_per_sec: round(baseline),
    ratio: round(http / baseline, 3),
  });

  const client = new SchemaRegistry({ host: `${env.url}/registry`, auth: { username: servicePrincipalName, password: env.serviceToken } });
  await client.getSchema(id);
  const cached = await throughput(200_000, 1, () => client.getSchema(id));
  report({
    bench: 'registry.schema_by_id',
    path: 'client_cache',
    ops_per_sec: round(cached),
    n: 200_000,
    concurrency: 1,
    baseline: 'registry.schema_by_id http',
    baseline_ops_per_sec: round(http),
    ratio: round(cached / http, 1),
  });
}
