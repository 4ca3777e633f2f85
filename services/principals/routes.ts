import type { FastifyInstance } from 'fastify';
import type { PrincipalService } from './service.ts';
import { assignableRoles } from './types.ts';

const principalSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, role: { type: 'string' }, kafkaUser: { type: 'string' } },
} as const;

/** Who am I, and principal administration for the data authority. */
/** An act to write to the audit trail (the audit area is above this one: the composition passes it in). */
export type ActRecorder = (act: { actor: string; actorRole: string; action: string; detail: Record<string, unknown> }) => Promise<unknown>;

export async function principalRoutes(app: FastifyInstance, { principals, record }: { principals: PrincipalService; record?: ActRecorder }): Promise<void> {
  app.get(
    '/whoami',
    {
      config: { roles: ['authority', 'steward', 'department', 'consumer', 'auditor', 'service', 'applicant'] },
      schema: { tags: ['principals'], summary: 'The calling principal', response: { 200: principalSchema } },
    },
    async (request) => request.principal,
  );

  app.post<{ Body: { name: string; role: string } }>(
    '/principals',
    {
      config: { roles: ['authority'] },
      schema: {
        tags: ['principals'],
        summary: 'Create a principal with a Kafka SCRAM user and an API token (secrets are shown once)',
        body: {
          type: 'object',
          required: ['name', 'role'],
          properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9._-]{1,62}$' }, role: { type: 'string', enum: [...assignableRoles] } },
        },
      },
    },
    async (request, reply) => {
      const created = await principals.create(request.body);
      const by = request.principal!;
      await record?.({
        actor: by.name,
        actorRole: by.role,
        action: 'principal.created',
        detail: { principal: created.name, role: created.role, kafkaUser: created.kafka.username },
      });
      return reply.code(201).send(created);
    },
  );
}
