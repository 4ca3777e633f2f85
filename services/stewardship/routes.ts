import type { FastifyInstance } from 'fastify';
import { HubError } from '../platform/errors.ts';
import { chinaDate } from '../platform/calendar/working-days.ts';
import { departmentNamePattern } from '../contract/names.ts';
import { type AlertStore, alertKinds, alertStatuses, type QueueFilter } from '../cleansing/alerts.ts';
import { landingTableOf } from '../cleansing/landing/tables.ts';
import { readKeyDetail } from '../cleansing/landing/reader.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { Pool } from '../platform/db/pool.ts';
import { type AlertActionInput, type AlertActions, alertActionNames } from './alert-actions.ts';
import { type CorrectionStatus, correctionStatuses } from './correction-store.ts';
import type { CorrectionReport, CorrectionService } from './corrections.ts';
import { type ScorecardReport, scorecardCsv } from './scorecards.ts';

const filterProperties = {
  dataset: { type: 'string', maxLength: 120 },
  provider: { type: 'string', maxLength: 60 },
  kind: { type: 'string', enum: [...alertKinds] },
  severity: { type: 'string', enum: ['error', 'warning'] },
  status: { type: 'string', enum: [...alertStatuses] },
  assignee: { type: 'string', maxLength: 60, description: 'a principal, or "none" for unassigned alerts' },
  olderThanDays: { type: 'integer', minimum: 0, maximum: 3650 },
} as const;

const actionProperties = {
  action: { type: 'string', enum: [...alertActionNames] },
  reason: { type: 'string', minLength: 1, maxLength: 2000 },
  assignee: { type: 'string', pattern: departmentNamePattern.source },
  provider: { type: 'string', pattern: departmentNamePattern.source },
} as const;

const uuid = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

/** The stewardship console's API: the alert queue and its decisions, correction requests, scorecards. */
export async function stewardshipRoutes(
  app: FastifyInstance,
  {
    alerts,
    actions,
    corrections,
    scorecards,
    catalog,
    pool,
    schemaPrefix,
    overdueDays,
    stream,
  }: {
    alerts: AlertStore;
    actions: AlertActions;
    corrections: CorrectionService;
    scorecards: { report(period: string, only?: string): Promise<ScorecardReport> };
    catalog: CatalogService;
    pool: Pool;
    schemaPrefix: string;
    overdueDays: number;
    stream: { pollMs: number; maxMs: number; lookbackMs: number };
  },
): Promise<void> {
  app.get<{ Querystring: QueueFilter }>(
    '/quality/queue',
    {
      config: { roles: ['authority', 'steward', 'auditor'] },
      schema: {
        tags: ['stewardship'],
        summary: 'The stewards’ alert queue: every filter, newest first, keyset paging (pass `next` back as `cursor`)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterProperties, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, cursor: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request) => alerts.queue(request.query),
  );

  app.get(
    '/quality/summary',
    {
      config: { roles: ['authority', 'steward', 'auditor'] },
      schema: { tags: ['stewardship'], summary: 'Queue summary: open, overdue, by kind and status' },
    },
    async () => alerts.summary(overdueDays),
  );

  app.get<{ Headers: { 'last-event-id'?: string } }>(
    '/quality/stream',
    {
      config: { roles: ['authority', 'steward'] },
      schema: {
        tags: ['stewardship'],
        summary:
          'New alerts as server-sent events (event "alert", data: the alert); a connection ends after a while: reconnect with Last-Event-ID and drop alert ids already seen',
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', maxLength: 40 } } },
      },
    },
    async (request, reply) => {
      const given = request.headers['last-event-id'];
      const resumed = given !== undefined && !Number.isNaN(Date.parse(given));
      // An alert's detectedAt is stamped before its transaction commits, so one can become visible
      // after a poll that passed its time: each poll looks back `lookbackMs` and sends what this
      // connection has not sent (the console drops ids it already has, across reconnections).
      let horizon = resumed ? Date.parse(given) : Date.now();
      const sent = new Map<string, number>();
      const window = () => new Date(horizon - stream.lookbackMs).toISOString();
      if (!resumed) for (const a of await alerts.since(window(), 5000)) sent.set(a.id, Date.parse(a.detectedAt));
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 1000\nid: ${new Date(horizon).toISOString()}\n\n`);
      const end = Date.now() + stream.maxMs;
      let open = true;
      request.raw.on('close', () => {
        open = false;
      });
      while (open && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(stream.pollMs, Math.max(0, end - Date.now()))));
        if (!open) break;
        try {
          const polledAt = Date.now();
          let out = '';
          for (const a of await alerts.since(window(), 1000)) {
            if (sent.has(a.id)) continue;
            sent.set(a.id, Date.parse(a.detectedAt));
            out += `event: alert\ndata: ${JSON.stringify(a)}\n\n`;
          }
          horizon = polledAt;
          for (const [id, at] of sent) if (at <= horizon - stream.lookbackMs) sent.delete(id);
          res.write(`${out}id: ${new Date(horizon).toISOString()}\n\n`);
        } catch (err) {
          request.log.warn({ err }, 'alert stream cannot read new alerts; the client reconnects');
          break;
        }
      }
      res.end();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/quality/alerts/:id',
    {
      config: { roles: ['authority', 'steward', 'auditor'] },
      schema: { tags: ['stewardship'], summary: 'One alert with its actions, the key’s landed values with lineage, and its history', params: uuid },
    },
    async (request) => {
      const alert = await alerts.get(request.params.id);
      if (!alert) throw new HubError('HUB_ERR_NOT_FOUND', `no quality alert ${request.params.id}`);
      const table = landingTableOf(await catalog.contractOf(alert.dataset), schemaPrefix);
      return { alert, ...(await readKeyDetail(pool, table, alert.key)) };
    },
  );

  app.post<{ Params: { id: string }; Body: AlertActionInput }>(
    '/quality/alerts/:id/actions',
    {
      config: { roles: ['steward', 'authority'] },
      schema: {
        tags: ['stewardship'],
        summary: 'Decide an alert, with a reason: keep, accept the other value, dismiss (durable), assign, reopen, route to the provider',
        params: uuid,
        body: { type: 'object', additionalProperties: false, required: ['action', 'reason'], properties: actionProperties },
      },
    },
    async (request) => actions.act(request.params.id, request.principal!, request.body),
  );

  app.post<{ Body: AlertActionInput & { ids?: string[]; filter?: Omit<QueueFilter, 'limit' | 'cursor'> } }>(
    '/quality/alerts/bulk',
    {
      config: { roles: ['steward', 'authority'] },
      schema: {
        tags: ['stewardship'],
        summary: 'One decision on many alerts: the given ids, or every alert a filter selects (up to 1,000)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['action', 'reason'],
          properties: {
            ...actionProperties,
            ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', format: 'uuid' } },
            filter: { type: 'object', additionalProperties: false, properties: filterProperties },
          },
        },
      },
    },
    async (request) => {
      const { ids, filter, ...input } = request.body;
      return actions.bulk(request.principal!, { ...input, ...(ids ? { ids } : {}), ...(filter ? { filter } : {}) });
    },
  );

  app.post<{ Body: CorrectionReport }>(
    '/corrections',
    {
      config: { roles: ['consumer', 'steward'] },
      schema: {
        tags: ['corrections'],
        summary: 'Report problem data: routed to the authoritative provider, with its verify (and correct) due dates',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['dataset', 'key', 'fields', 'description'],
          properties: {
            dataset: { type: 'string', minLength: 1, maxLength: 120 },
            key: { type: 'string', minLength: 1, maxLength: 500 },
            fields: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 100 } },
            description: { type: 'string', minLength: 1, maxLength: 4000 },
          },
        },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return corrections.report(request.body, request.principal!);
    },
  );

  app.get<{ Querystring: { status?: CorrectionStatus; escalated?: boolean; limit: number } }>(
    '/corrections',
    {
      config: { roles: ['authority', 'steward', 'department', 'consumer', 'auditor'] },
      schema: {
        tags: ['corrections'],
        summary: 'Correction requests: a department sees those addressed to it, a consumer those it reported',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...correctionStatuses] },
            escalated: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
          },
        },
      },
    },
    async (request) => corrections.list(request.principal!, request.query),
  );

  app.get<{ Params: { id: string } }>(
    '/corrections/:id',
    {
      config: { roles: ['authority', 'steward', 'department', 'consumer', 'auditor'] },
      schema: { tags: ['corrections'], summary: 'One correction request', params: uuid },
    },
    async (request) => corrections.get(request.params.id, request.principal!),
  );

  app.post<{ Params: { id: string }; Body: { decision: 'confirmed' | 'rejected'; note: string } }>(
    '/corrections/:id/verification',
    {
      config: { roles: ['department'] },
      schema: {
        tags: ['corrections'],
        summary: 'The provider’s verification: confirmed (it will correct at the source) or rejected, with a note',
        params: uuid,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision', 'note'],
          properties: { decision: { type: 'string', enum: ['confirmed', 'rejected'] }, note: { type: 'string', minLength: 1, maxLength: 4000 } },
        },
      },
    },
    async (request) => corrections.verify(request.params.id, request.principal!, request.body),
  );

  app.get<{ Querystring: { period?: string; format?: 'json' | 'csv' } }>(
    '/scorecards',
    {
      config: { roles: ['authority', 'steward', 'department', 'auditor'] },
      schema: {
        tags: ['scorecards'],
        summary: 'Department scorecards for a month (YYYY-MM) or a year (YYYY); format=csv for the export. A department sees its own.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            period: { type: 'string', pattern: '^\\d{4}(-(0[1-9]|1[0-2]))?$' },
            format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
          },
        },
      },
    },
    async (request, reply) => {
      const p = request.principal!;
      const period = request.query.period ?? chinaDate(new Date()).slice(0, 7);
      const report = await scorecards.report(period, p.role === 'department' ? p.name : undefined);
      if (request.query.format !== 'csv') return report;
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="scorecard-${period}.csv"`);
      return scorecardCsv(report);
    },
  );
}
