import type { FastifyInstance } from 'fastify';
import { datasetIdPattern } from '../contract/names.ts';
import type { OpenDataService } from './service.ts';
import type { ApplicationService } from './applications.ts';

const datasetParams = { type: 'object', properties: { dataset: { type: 'string', pattern: datasetIdPattern.source, maxLength: 120 } } } as const;

/** The signed-in side of open data: the owner asks to open, the authority reviews, providers see downloads and answer feedback. */
export async function openApiRoutes(app: FastifyInstance, { open, applications }: { open: OpenDataService; applications: ApplicationService }): Promise<void> {
  app.post<{ Body: { dataset: string; purpose: string; commercial?: boolean } }>(
    '/open/applications',
    {
      config: { roles: ['applicant'] },
      schema: {
        tags: ['open data'],
        summary: "A registered organisation applies for a dataset open on application; the owner answers within the jurisdiction's period",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['dataset', 'purpose'],
          properties: {
            dataset: { type: 'string', pattern: datasetIdPattern.source, maxLength: 120 },
            purpose: { type: 'string', minLength: 1, maxLength: 2000 },
            commercial: { type: 'boolean', default: false },
          },
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send(
        await applications.apply(request.principal!, {
          dataset: request.body.dataset,
          purpose: request.body.purpose,
          commercial: request.body.commercial ?? false,
        }),
      ),
  );

  app.get<{ Querystring: { escalated?: boolean } }>(
    '/open/applications',
    {
      config: { roles: ['authority', 'department', 'applicant'] },
      schema: {
        tags: ['open data'],
        summary: 'Applications for data open on application: an organisation its own, a department those for its datasets, the authority all',
        querystring: { type: 'object', properties: { escalated: { type: 'boolean' } } },
      },
    },
    async (request) => applications.list(request.principal!, request.query.escalated === undefined ? {} : { escalated: request.query.escalated }),
  );

  app.post<{ Params: { id: string }; Body: { approve: boolean; reason: string; agreement?: string; validDays?: number } }>(
    '/open/applications/:id/decision',
    {
      config: { roles: ['department'] },
      schema: {
        tags: ['open data'],
        summary: 'The owner approves (with the use agreement and how long the access lasts) or refuses (with reasons) an application',
        params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['approve', 'reason'],
          properties: {
            approve: { type: 'boolean' },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
            agreement: { type: 'string', maxLength: 10000 },
            validDays: { type: 'integer', minimum: 1, maximum: 365 },
          },
        },
      },
    },
    async (request) => applications.decide(request.principal!, request.params.id, request.body),
  );

  app.post<{ Params: { id: string } }>(
    '/open/applications/:id/key',
    {
      config: { roles: ['applicant'] },
      schema: {
        tags: ['open data'],
        summary: 'The personal download key of an approved application, shown once (asking again replaces it)',
        params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } },
      },
    },
    async (request) => applications.issueKey(request.principal!, request.params.id),
  );

  app.put<{ Params: { dataset: string }; Body: { openType: 'open' | 'on_application'; licence: string; description?: string } }>(
    '/open/datasets/:dataset',
    {
      config: { roles: ['department'] },
      schema: {
        tags: ['open data'],
        summary: 'Ask to open a dataset one owns (or change the terms): the authority reviews; grade-4 fields never open, grade-3 fields open desensitized',
        params: datasetParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['openType', 'licence'],
          properties: {
            openType: { type: 'string', enum: ['open', 'on_application'] },
            licence: { type: 'string', minLength: 1, maxLength: 200 },
            description: { type: 'string', maxLength: 2000 },
          },
        },
      },
    },
    async (request) =>
      open.request(request.principal!, request.params.dataset, {
        openType: request.body.openType,
        licence: request.body.licence.trim(),
        description: request.body.description?.trim() || null,
      }),
  );

  app.post<{ Params: { dataset: string }; Body: { approve: boolean; reason: string } }>(
    '/open/datasets/:dataset/review',
    {
      config: { roles: ['authority'] },
      schema: {
        tags: ['open data'],
        summary: 'Approve or refuse a request to open a dataset, with the reason',
        params: datasetParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['approve', 'reason'],
          properties: { approve: { type: 'boolean' }, reason: { type: 'string', minLength: 1, maxLength: 2000 } },
        },
      },
    },
    async (request) => open.review(request.principal!, request.params.dataset, request.body),
  );

  app.get(
    '/open/datasets',
    {
      config: { roles: ['authority', 'department'] },
      schema: { tags: ['open data'], summary: 'Requests to open data with their review, publication and download counts (a department: its own datasets)' },
    },
    async (request) => open.forProvider(request.principal!),
  );

  app.get<{ Querystring: { answered?: boolean } }>(
    '/open/feedback',
    {
      config: { roles: ['authority', 'department'] },
      schema: {
        tags: ['open data'],
        summary: "The public's feedback on open datasets (a department: on its own)",
        querystring: { type: 'object', properties: { answered: { type: 'boolean' } } },
      },
    },
    async (request) => open.feedback.forProvider(request.principal!, request.query.answered === undefined ? {} : { answered: request.query.answered }),
  );

  app.post<{ Params: { id: string }; Body: { answer: string } }>(
    '/open/feedback/:id/answer',
    {
      config: { roles: ['department'] },
      schema: {
        tags: ['open data'],
        summary: 'Answer feedback on a dataset one owns; the answer shows on the portal',
        params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } },
        body: { type: 'object', additionalProperties: false, required: ['answer'], properties: { answer: { type: 'string', minLength: 1, maxLength: 2000 } } },
      },
    },
    async (request) => open.feedback.answer(request.principal!, request.params.id, request.body.answer.trim()),
  );
}
