import type { FastifyInstance } from 'fastify';
import { datasetIdPattern } from '../contract/names.ts';
import type { OpenDataService } from './service.ts';

const datasetParams = { type: 'object', properties: { dataset: { type: 'string', pattern: datasetIdPattern.source, maxLength: 120 } } } as const;

/** The signed-in side of open data: the owner asks to open, the authority reviews, providers see downloads and answer feedback. */
export async function openApiRoutes(app: FastifyInstance, { open }: { open: OpenDataService }): Promise<void> {
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
