import fp from 'fastify-plugin';
import type {} from '@fastify/swagger';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sameSecret } from '../crypto.ts';
import { HubError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus registry; services add their own counters to it. */
    metrics: Registry;
  }
}

/** Request counters and latencies per route, process metrics, and GET /metrics (open, or behind a bearer token when one is set). */
export const metricsPlugin = fp<{ token?: string | null }>(
  async (app, { token }) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'hub_' });
    const requests = new Counter({ name: 'hub_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] });
    const latency = new Histogram({
      name: 'hub_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    app.decorate('metrics', registry);
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (token && !sameSecret(request.headers.authorization ?? '', `Bearer ${token}`)) {
        throw new HubError('HUB_ERR_UNAUTHENTICATED', 'GET /metrics needs "Authorization: Bearer <HUB_METRICS_TOKEN>"');
      }
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'hub-metrics' },
);
