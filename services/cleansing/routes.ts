import type { FastifyInstance } from 'fastify';
import type { CatalogEntry } from '../catalog/entry.ts';
import type { AuditEvent } from '../audit/log.ts';
import type { ProgressStore } from './progress-store.ts';
import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { AlertKind, AlertStatus, AlertStore } from './alerts.ts';
import { HubError } from '../platform/errors.ts';

interface AlertQuery {
  dataset?: string;
  kind?: AlertKind;
  status?: AlertStatus;
  key?: string;
  provider?: string;
  limit: number;
  offset: number;
}

/** Quality alerts for stewards, and the cleansing counts per dataset and provider. */
export async function cleansingRoutes(
  app: FastifyInstance,
  {
    alerts,
    progress,
    catalogEntries,
    admin,
    groupId,
    record,
  }: {
    alerts: AlertStore;
    progress: ProgressStore;
    catalogEntries: () => Promise<readonly CatalogEntry[]>;
    admin: HubAdmin;
    groupId: string;
    /** Writes each review to the audit trail. */
    record?: (event: AuditEvent) => Promise<unknown>;
  },
): Promise<void> {
  app.get<{ Querystring: AlertQuery }>(
    '/quality/alerts',
    {
      config: { roles: ['authority', 'steward', 'auditor', 'department'] },
      schema: {
        tags: ['quality'],
        summary: 'Quality alerts: invalid records (quarantined), warnings, conflicts with the authoritative source',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dataset: { type: 'string', maxLength: 120 },
            kind: { type: 'string', enum: ['invalid', 'warning', 'conflict'] },
            status: { type: 'string', enum: ['open', 'acknowledged', 'resolved', 'routed'] },
            key: { type: 'string', maxLength: 500 },
            provider: { type: 'string', maxLength: 60 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
      },
    },
    async (request) => {
      const p = request.principal!;
      if (p.role !== 'department') return alerts.list(request.query);
      // A department sees the alerts about its own data, and only its own values in them.
      const own = await alerts.list({ ...request.query, department: p.name });
      return own.map((a) => ({ ...a, values: a.values.map((v) => (v.provider === p.name ? v : { ...v, value: null, redacted: true })) }));
    },
  );

  app.patch<{ Params: { id: string }; Body: { status: AlertStatus; note?: string } }>(
    '/quality/alerts/:id',
    {
      config: { roles: ['steward', 'authority'] },
      schema: {
        tags: ['quality'],
        summary: 'Review an alert: acknowledge, resolve, or route it to the provider',
        params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['status'],
          properties: { status: { type: 'string', enum: ['acknowledged', 'resolved', 'routed'] }, note: { type: 'string', maxLength: 4000 } },
        },
      },
    },
    async (request) => {
      const reviewed = await alerts.review(request.params.id, request.principal!.name, request.body.status, request.body.note ?? null);
      if (!reviewed) throw new HubError('HUB_ERR_NOT_FOUND', `no quality alert ${request.params.id}`);
      await record?.({
        actor: request.principal!.name,
        actorRole: request.principal!.role,
        action: 'alert.reviewed',
        method: 'api',
        subjectProvider: reviewed.sources[0]?.provider ?? null,
        datasets: [reviewed.dataset],
        fields: reviewed.fields,
        detail: { alert: reviewed.id, kind: reviewed.kind, status: request.body.status, note: request.body.note ?? null },
      });
      return reviewed;
    },
  );

  app.get(
    '/cleansing/stats',
    {
      config: { roles: ['authority', 'steward', 'auditor'] },
      schema: { tags: ['quality'], summary: 'Per dataset and provider: records in, duplicates dropped, invalid, warnings, conflicts, landed, lag' },
    },
    async () => {
      const counts = await progress.counts();
      const entries = await catalogEntries();
      const lags = await admin
        .lag(
          groupId,
          entries.map((e) => e.topic),
        )
        .catch(() => []);
      return counts.map((c) => {
        const topic = entries.find((e) => e.provider === c.provider && e.dataset === c.dataset)?.topic;
        return {
          ...c,
          lag: lags.filter((l) => l.topic === topic).reduce((sum, l) => sum + l.lag, 0),
        };
      });
    },
  );
}
