import type { FastifyInstance } from 'fastify';
import type { IngestService, BatchResult } from './service.ts';
import type { IdempotencyStore } from './idempotency.ts';
import type { AuditEvent } from '../audit/log.ts';
import { HubError } from '../platform/errors.ts';

interface Params {
  dataset: string;
}

/**
 * HTTP ingest: a department posts a batch of JSON records for one of its datasets. Valid records
 * go to its raw topic (the answer comes only after Kafka acknowledged them with acks=all); every
 * rejected record is listed with its field and reason.
 */
export async function ingestRoutes(
  app: FastifyInstance,
  {
    ingest,
    idempotency,
    maxBatch,
    record,
  }: { ingest: IngestService; idempotency: IdempotencyStore; maxBatch: number; record?: (event: AuditEvent) => Promise<unknown> },
): Promise<void> {
  app.post<{ Params: Params; Body: { records: unknown[] } }>(
    '/datasets/:dataset/records',
    {
      config: { roles: ['department'] },
      schema: {
        tags: ['ingest'],
        summary: `Send up to ${maxBatch} records of a dataset the calling department declared; Idempotency-Key makes a retried batch land once`,
        params: { type: 'object', properties: { dataset: { type: 'string', maxLength: 120 } } },
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200 } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['records'],
          properties: { records: { type: 'array', minItems: 1, maxItems: maxBatch, items: {} } },
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const key = request.headers['idempotency-key'];
      const idemKey = typeof key === 'string' ? key : undefined;
      if (idemKey) {
        const claim = await idempotency.claim(principal.name, idemKey, { dataset: request.params.dataset, records: request.body.records });
        if (claim.kind === 'replay') return reply.code(claim.statusCode).header('idempotent-replayed', 'true').send(claim.response);
      }
      try {
        const resolved = await ingest.resolve(principal.name, request.params.dataset);
        const { accepted, rejected } = await ingest.ingest(resolved, request.body.records, 'http');
        const result: BatchResult = { dataset: request.params.dataset, topic: resolved.target.topic, accepted, rejected };
        if (accepted === 0) {
          throw new HubError('HUB_ERR_UNPROCESSABLE', `none of the ${rejected.length} records matches the schema of ${request.params.dataset}`, {
            details: result,
          });
        }
        if (idemKey) await idempotency.finish(principal.name, idemKey, 200, result);
        await record?.({
          actor: principal.name,
          actorRole: principal.role,
          action: 'ingest.batch',
          method: 'http',
          subjectProvider: principal.name,
          datasets: [request.params.dataset],
          detail: { accepted, rejected: rejected.length, idempotencyKey: idemKey ?? null },
        });
        return result;
      } catch (err) {
        // A refused batch is a final answer worth replaying; a failure (Kafka down) must be retryable.
        if (idemKey) {
          if (err instanceof HubError && !err.retryable && err.status < 500)
            await idempotency.finish(principal.name, idemKey, err.status, {
              statusCode: err.status,
              code: err.code,
              message: err.message,
              details: err.details,
            });
          else await idempotency.release(principal.name, idemKey);
        }
        throw err;
      }
    },
  );
}
