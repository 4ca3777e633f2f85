import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from '../platform/redis.ts';
import { HubError } from '../platform/errors.ts';
import { installInputGuard } from '../platform/http/input-guard.ts';
import { datasetIdPattern } from '../contract/names.ts';
import { datasetOfPackage, packageName, toDcat, toPackage, type Links } from './ckan.ts';
import type { DownloadFormat, OpenDataService, PortalDataset } from './service.ts';
import type { ApplicationService } from './applications.ts';
import type { AuditEvent } from '../audit/log.ts';

export interface PublicRouteOptions {
  open: OpenDataService;
  applications: ApplicationService;
  record: (event: AuditEvent) => Promise<unknown>;
  redis: Redis;
  apiPerMinute: number;
  feedbackPerHour: number;
}

function linksFor(request: FastifyRequest): Links {
  const base = `${request.protocol}://${request.host}/open`;
  return {
    download: (dataset, format) => `${base}/datasets/${encodeURIComponent(dataset)}/download.${format}`,
    page: (dataset) => `${base}/#/datasets/${encodeURIComponent(dataset)}`,
    catalog: `${base}/catalog.jsonld`,
  };
}

const ckanError = (reply: FastifyReply, status: number, type: string, message: string) =>
  reply.code(status).send({ help: 'https://docs.ckan.org/en/latest/api/', success: false, error: { __type: type, message } });

function matches(d: PortalDataset, q: string): boolean {
  const text = `${d.dataset} ${d.title} ${d.description} ${d.owner} ${d.fields.map((f) => `${f.name} ${f.doc}`).join(' ')}`.toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter((t) => t !== '')
    .every((t) => text.includes(t));
}

/**
 * The public side of open data, no sign-in: CKAN's read actions, DCAT JSON-LD, downloads of what
 * opens without conditions, and feedback. Every route is limited per client address.
 */
export async function openPublicRoutes(
  app: FastifyInstance,
  { open, applications, record, redis, apiPerMinute, feedbackPerHour }: PublicRouteOptions,
): Promise<void> {
  installInputGuard(app);
  await app.register(rateLimit, {
    max: apiPerMinute,
    timeWindow: 60_000,
    redis,
    nameSpace: 'open-rate:',
    // Reads keep working while Redis is away; the limit is a courtesy to other clients, not a control on data.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new HubError('HUB_ERR_RATE_LIMITED', `too many requests from this address: at most ${context.max} per ${context.after}; retry after ${context.after}`),
  });
  const help = 'https://docs.ckan.org/en/latest/api/';

  app.get('/api/3/action/package_list', { schema: { tags: ['open data'], summary: 'CKAN: the names of every open dataset' } }, async () => ({
    help,
    success: true,
    result: (await open.portal()).map((d) => packageName(d.dataset)),
  }));

  app.get<{ Querystring: { id: string } }>(
    '/api/3/action/package_show',
    {
      schema: {
        tags: ['open data'],
        summary: 'CKAN: one open dataset with its resources',
        querystring: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 120 } } },
      },
    },
    async (request, reply) => {
      try {
        return { help, success: true, result: toPackage(await open.visible(datasetOfPackage(request.query.id)), linksFor(request)) };
      } catch (err) {
        if (err instanceof HubError && err.code === 'HUB_ERR_NOT_FOUND') return ckanError(reply, 404, 'Not Found Error', 'Not found');
        throw err;
      }
    },
  );

  app.get<{ Querystring: { q?: string; rows?: number; start?: number } }>(
    '/api/3/action/package_search',
    {
      schema: {
        tags: ['open data'],
        summary: 'CKAN: search open datasets (q: words that must all appear)',
        querystring: {
          type: 'object',
          properties: {
            q: { type: 'string', maxLength: 200 },
            rows: { type: 'integer', minimum: 0, maximum: 1000, default: 10 },
            start: { type: 'integer', minimum: 0, default: 0 },
          },
        },
      },
    },
    async (request) => {
      const { q = '', rows = 10, start = 0 } = request.query;
      const found = (await open.portal()).filter((d) => q.trim() === '' || q.trim() === '*:*' || matches(d, q));
      const links = linksFor(request);
      return {
        help,
        success: true,
        result: { count: found.length, sort: 'name asc', results: found.slice(start, start + rows).map((d) => toPackage(d, links)) },
      };
    },
  );

  app.get('/catalog.jsonld', { schema: { tags: ['open data'], summary: 'DCAT catalog of the open datasets (JSON-LD)' } }, async (request, reply) =>
    reply.type('application/ld+json; charset=utf-8').send(toDcat(await open.portal(), linksFor(request))),
  );

  app.get<{ Params: { dataset: string; format: DownloadFormat }; Querystring: { from?: number; snapshot?: number; key?: string } }>(
    '/datasets/:dataset/download.:format',
    {
      schema: {
        tags: ['open data'],
        summary: 'Download an open dataset (desensitized snapshot) as CSV or NDJSON; resume with ?from=<row>&snapshot=<id>',
        params: {
          type: 'object',
          properties: { dataset: { type: 'string', pattern: datasetIdPattern.source, maxLength: 120 }, format: { type: 'string', enum: ['csv', 'ndjson'] } },
        },
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'integer', minimum: 1, default: 1 },
            snapshot: { type: 'integer', minimum: 1 },
            key: { type: 'string', maxLength: 200, description: 'download key of an approved application (or the X-Download-Key header)' },
          },
        },
      },
    },
    async (request, reply) => {
      const { dataset, format } = request.params;
      const shown = await open.visible(dataset);
      if (shown.openType !== 'open') {
        const header = request.headers['x-download-key'];
        const key = typeof header === 'string' ? header : request.query.key;
        const granted = key ? await applications.keyAllows(key, dataset) : null;
        if (granted === null) {
          throw new HubError(
            'HUB_ERR_FORBIDDEN',
            key
              ? `this download key does not open ${dataset}, or its application has expired`
              : `${dataset} opens on application only: apply as an organisation, then download with the key you are given (X-Download-Key)`,
          );
        }
        await record({
          actor: granted.organisation,
          actorRole: 'applicant',
          action: 'open.downloaded',
          method: 'download',
          purpose: granted.purpose,
          subjectProvider: granted.owner,
          datasets: [dataset],
          detail: { application: granted.id, format },
        });
      }
      const { snapshot, stream } = await open.download(dataset, format, {
        from: request.query.from ?? 1,
        ...(request.query.snapshot === undefined ? {} : { snapshot: request.query.snapshot }),
      });
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${dataset}.${format}"`)
        .header('x-snapshot-id', String(snapshot.id))
        .header('x-row-count', String(snapshot.rowCount))
        .header('last-modified', new Date(snapshot.createdAt).toUTCString())
        .send(stream);
    },
  );

  app.get<{ Params: { dataset: string } }>(
    '/datasets/:dataset/feedback',
    {
      schema: {
        tags: ['open data'],
        summary: "An open dataset's answered feedback",
        params: { type: 'object', properties: { dataset: { type: 'string', pattern: datasetIdPattern.source, maxLength: 120 } } },
      },
    },
    async (request) =>
      (await open.feedback.answered(request.params.dataset)).map(({ id, kind, message, createdAt, answer, answeredAt }) => ({
        id,
        kind,
        message,
        createdAt,
        answer,
        answeredAt,
      })),
  );

  app.post<{ Params: { dataset: string }; Body: { kind: 'problem' | 'request'; message: string; contact?: string } }>(
    '/datasets/:dataset/feedback',
    {
      config: { rateLimit: { max: feedbackPerHour, timeWindow: 3_600_000 } },
      schema: {
        tags: ['open data'],
        summary: 'Report a problem with an open dataset or ask for data (no sign-in; limited per address)',
        params: { type: 'object', properties: { dataset: { type: 'string', pattern: datasetIdPattern.source, maxLength: 120 } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'message'],
          properties: {
            kind: { type: 'string', enum: ['problem', 'request'] },
            message: { type: 'string', minLength: 1, maxLength: 2000 },
            contact: { type: 'string', maxLength: 200 },
          },
        },
      },
    },
    async (request, reply) => {
      const item = await open.feedback.add(request.params.dataset, {
        kind: request.body.kind,
        message: request.body.message.trim(),
        contact: request.body.contact?.trim() || null,
      });
      return reply.code(201).send({ id: item.id, dataset: item.dataset, kind: item.kind, createdAt: item.createdAt, status: 'received' });
    },
  );

  app.post<{ Body: { name: string; uscc: string; kind: 'enterprise' | 'university' | 'research_institute'; contact: string } }>(
    '/organisations',
    {
      config: { rateLimit: { max: feedbackPerHour, timeWindow: 3_600_000 } },
      schema: {
        tags: ['open data'],
        summary: 'An organisation registers to apply for data open on application; its API token is shown once',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'uscc', 'kind', 'contact'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            uscc: { type: 'string', minLength: 18, maxLength: 18 },
            kind: { type: 'string', enum: ['enterprise', 'university', 'research_institute'] },
            contact: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await applications.register(request.body)),
  );

  app.get('/datasets', { schema: { tags: ['open data'], summary: 'The open datasets as the portal lists them' } }, async () => open.portal());
  app.get<{ Params: { dataset: string } }>(
    '/datasets/:dataset',
    {
      schema: {
        tags: ['open data'],
        summary: 'One open dataset as the portal shows it',
        params: { type: 'object', properties: { dataset: { type: 'string', pattern: datasetIdPattern.source, maxLength: 120 } } },
      },
    },
    async (request) => open.visible(request.params.dataset),
  );
}
