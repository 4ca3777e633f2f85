import type { FastifyInstance } from 'fastify';
import type { FreshnessWatcher } from './freshness.ts';

/** Freshness alerts: providers silent past their update cycle. A department sees its own. */
export async function alertRoutes(app: FastifyInstance, { freshness }: { freshness: FreshnessWatcher }): Promise<void> {
  app.get<{ Querystring: { open?: boolean; provider?: string } }>(
    '/alerts/freshness',
    {
      config: { roles: ['authority', 'steward', 'auditor', 'department'] },
      schema: {
        tags: ['alerts'],
        summary: 'Freshness alerts (open=true for unresolved ones)',
        querystring: { type: 'object', additionalProperties: false, properties: { open: { type: 'boolean' }, provider: { type: 'string', maxLength: 60 } } },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const provider = principal.role === 'department' ? principal.name : request.query.provider;
      return freshness.list({ ...(request.query.open === undefined ? {} : { open: request.query.open }), ...(provider ? { provider } : {}) });
    },
  );
}
