import type { FastifyInstance } from 'fastify';
import type { ApplicationStore } from './application-store.ts';
import type { GrantService } from './grant-service.ts';
import type { ApplicationInput, ScenarioInput, SharingService } from './applications.ts';
import { HubError } from '../platform/errors.ts';
import { internalRoles } from '../principals/types.ts';

const datasetsSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 20,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['dataset', 'fields'],
    properties: {
      dataset: { type: 'string', maxLength: 120 },
      fields: { type: 'array', minItems: 1, maxItems: 200, uniqueItems: true, items: { type: 'string', maxLength: 63 } },
    },
  },
} as const;

const useSchema = {
  type: 'string',
  enum: ['subscription', 'verification'],
  description: 'subscription (share topics, default) or verification only (可用不可见)',
} as const;

/** Scenarios (the authority's), applications (consumers'), decisions (providers'), revocation (the authority's). */
export async function sharingRoutes(
  app: FastifyInstance,
  { sharing, store, grants }: { sharing: SharingService; store: ApplicationStore; grants: Pick<GrantService, 'list'> },
): Promise<void> {
  app.get(
    '/grants',
    {
      config: { roles: ['authority', 'consumer', 'auditor'] },
      schema: {
        tags: ['sharing'],
        summary: 'Active grants with what a consumer needs to start: share topics, consumer-group prefix, fields, masking, expiry. A consumer sees its own.',
      },
    },
    async (request) => {
      const p = request.principal!;
      return grants.list(p.role === 'consumer' ? p.name : undefined);
    },
  );

  app.post<{ Body: ScenarioInput }>(
    '/scenarios',
    {
      config: { roles: ['authority'] },
      schema: {
        tags: ['sharing'],
        summary: 'Define an application scenario: a request that fits it is granted at once (minimum necessary)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'name', 'purpose', 'legalBasis', 'datasets', 'allowedRoles', 'maxValidityDays'],
          properties: {
            id: { type: 'string', maxLength: 61 },
            name: { type: 'string', minLength: 1, maxLength: 200 },
            purpose: { type: 'string', minLength: 1, maxLength: 2000 },
            legalBasis: { type: 'string', minLength: 1, maxLength: 2000 },
            datasets: datasetsSchema,
            allowedRoles: { type: 'array', minItems: 1, items: { type: 'string', enum: ['consumer', 'department'] } },
            maxValidityDays: { type: 'integer', minimum: 1, maximum: 3660 },
            use: useSchema,
          },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await sharing.defineScenario(request.body, request.principal!)),
  );

  app.get('/scenarios', { config: { roles: internalRoles }, schema: { tags: ['sharing'], summary: 'Application scenarios' } }, async () => store.scenarios());

  app.post<{ Body: ApplicationInput }>(
    '/applications',
    {
      config: { roles: ['consumer', 'department'] },
      schema: {
        tags: ['sharing'],
        summary: 'Apply for data: purpose, datasets and fields, period; conditional data needs a confidentiality agreement reference',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['purpose', 'datasets', 'validUntil'],
          properties: {
            purpose: { type: 'string', minLength: 1, maxLength: 2000 },
            datasets: datasetsSchema,
            validFrom: { type: 'string', format: 'date-time' },
            validUntil: { type: 'string', format: 'date-time' },
            confidentialityRef: { type: 'string', maxLength: 200 },
            scenarioId: { type: 'string', maxLength: 61 },
            use: useSchema,
          },
        },
      },
    },
    async (request, reply) => reply.code(201).send(await sharing.submit(request.body, request.principal!)),
  );

  app.get<{ Querystring: { status?: string } }>(
    '/applications',
    {
      config: { roles: ['consumer', 'department', 'authority', 'auditor'] },
      schema: {
        tags: ['sharing'],
        summary: 'Applications: a consumer sees its own, a provider those waiting on it',
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', maxLength: 40 } } },
      },
    },
    async (request) => {
      const p = request.principal!;
      const status = request.query.status;
      if (p.role === 'consumer') return store.list({ consumer: p.name, ...(status ? { status } : {}) });
      if (p.role === 'department')
        return [
          ...(await store.list({ provider: p.name, ...(status ? { status } : {}) })),
          ...(await store.list({ consumer: p.name, ...(status ? { status } : {}) })),
        ];
      return store.list(status ? { status } : {});
    },
  );

  app.get<{ Params: { id: string } }>(
    '/applications/:id',
    {
      config: { roles: ['consumer', 'department', 'authority', 'auditor'] },
      schema: { tags: ['sharing'], summary: 'An application with every step of its handling' },
    },
    async (request) => {
      const application = await store.byId(app.db, request.params.id);
      const p = request.principal!;
      const decisions = application ? await store.decisions(app.db, application.id) : [];
      const involved =
        application && (p.role === 'authority' || p.role === 'auditor' || p.name === application.consumer || decisions.some((d) => d.decider === p.name));
      if (!application || !involved) throw new HubError('HUB_ERR_NOT_FOUND', `no application ${request.params.id}`);
      return { ...application, decisions, steps: await store.steps(application.id) };
    },
  );

  app.post<{ Params: { id: string }; Body: { decision: 'approve' | 'refuse'; reason?: string; basis?: string } }>(
    '/applications/:id/decision',
    {
      config: { roles: ['department', 'authority'] },
      schema: {
        tags: ['sharing'],
        summary: 'The provider (or, when escalated, the authority) approves or refuses; a refusal states reasons and basis',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision'],
          properties: {
            decision: { type: 'string', enum: ['approve', 'refuse'] },
            reason: { type: 'string', maxLength: 4000 },
            basis: { type: 'string', maxLength: 4000 },
          },
        },
      },
    },
    async (request) => {
      const { decision, reason, basis } = request.body;
      return sharing.decide(
        request.params.id,
        { approve: decision === 'approve', ...(reason ? { reason } : {}), ...(basis ? { basis } : {}) },
        request.principal!,
      );
    },
  );

  app.post<{ Params: { id: string }; Body: { opinion: 'agree' | 'disagree'; note: string } }>(
    '/applications/:id/opinion',
    {
      config: { roles: ['department'] },
      schema: {
        tags: ['sharing'],
        summary: "Where the data authority decides after consulting the provider (Wuxi 20, Quanzhou 3(4)): the provider's opinion",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['opinion', 'note'],
          properties: { opinion: { type: 'string', enum: ['agree', 'disagree'] }, note: { type: 'string', minLength: 1, maxLength: 4000 } },
        },
      },
    },
    async (request) => sharing.consult(request.params.id, { agree: request.body.opinion === 'agree', note: request.body.note }, request.principal!),
  );

  app.post<{ Params: { id: string }; Body: { action: 'revoke' | 'suspend'; note: string } }>(
    '/applications/:id/end',
    {
      config: { roles: ['authority'] },
      schema: {
        tags: ['sharing'],
        summary: 'Revoke or suspend a grant (Quanzhou 5(10)): its ACLs are deleted and the consumer is refused on its next fetch',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['action', 'note'],
          properties: { action: { type: 'string', enum: ['revoke', 'suspend'] }, note: { type: 'string', minLength: 1, maxLength: 4000 } },
        },
      },
    },
    async (request) => sharing.end(request.params.id, request.body.action === 'revoke' ? 'revoked' : 'suspended', request.body.note, request.principal!),
  );
}
