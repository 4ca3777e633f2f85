import type { FastifyInstance } from 'fastify';
import type { AuditFilter, AuditLog } from './log.ts';
import { HubError } from '../platform/errors.ts';

const page = {
  from: { type: 'string', format: 'date-time', description: 'inclusive' },
  to: { type: 'string', format: 'date-time', description: 'exclusive' },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

type UsageQuery = Omit<AuditFilter, 'actor' | 'action'>;

/** The audit trail: read by auditors only (Zhongshan 33); each provider sees who used its data. */
export async function auditRoutes(app: FastifyInstance, { audit }: { audit: AuditLog }): Promise<void> {
  app.get<{ Querystring: AuditFilter }>(
    '/audit',
    {
      config: { roles: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary: 'The audit trail, newest first: who, what, whose data, purpose, approver, when, how',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            actor: { type: 'string', maxLength: 63 },
            action: { type: 'string', maxLength: 100, description: "exact, or a prefix like 'grant.*'" },
            provider: { type: 'string', maxLength: 63, description: 'whose data' },
            ...page,
          },
        },
      },
    },
    async (request) => audit.list(request.query),
  );

  app.get(
    '/audit/verify',
    {
      config: { roles: ['auditor'] },
      schema: { tags: ['audit'], summary: 'Check the hash chain: every changed, deleted or inserted row is a problem' },
    },
    async () => audit.verify(),
  );

  app.get<{ Querystring: UsageQuery }>(
    '/audit/usage',
    {
      config: { roles: ['department', 'authority', 'auditor'] },
      schema: {
        tags: ['audit'],
        summary: "Who used a provider's data, for what and how; a department sees its own",
        querystring: { type: 'object', additionalProperties: false, properties: { provider: { type: 'string', maxLength: 63 }, ...page } },
      },
    },
    async (request) => {
      const p = request.principal!;
      const { provider, ...filter } = request.query;
      if (p.role === 'department') {
        if (provider && provider !== p.name) throw new HubError('HUB_ERR_FORBIDDEN', `a department sees the usage of its own data only, not ${provider}'s`);
        return audit.usageOf(p.name, filter);
      }
      if (!provider) throw new HubError('HUB_ERR_VALIDATION', 'give ?provider=<department>');
      return audit.usageOf(provider, filter);
    },
  );
}
