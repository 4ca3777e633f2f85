import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/log.ts';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Redis } from '../platform/redis.ts';
import type { CatalogService } from '../catalog/service.ts';
import { datasetIdPattern } from '../catalog/naming.ts';
import { createVerificationLimits } from './rate-limits.ts';
import { createVerificationAlertStore } from './verification-alerts.ts';
import { RateLimited, createVerificationService, type CanVerify, type VerifyInput } from './verification.ts';

export interface VerificationRouteOptions {
  config: HubConfig;
  catalog: CatalogService;
  pool: Pool;
  redis: Redis;
  log: Logger;
  canVerify?: CanVerify;
  /** Every call is traceable (Quanzhou 8(4)): who, what data, which fields, when; never values. */
  audit?: AuditLog;
}

/** POST /verify (可用不可见: match/mismatch per claimed field, never a value) and GET /verify/alerts for the authority. */
export async function verificationRoutes(app: FastifyInstance, opts: VerificationRouteOptions): Promise<void> {
  const settings = opts.config.verification;
  const service = createVerificationService({
    catalog: opts.catalog,
    pool: opts.pool,
    schemaPrefix: opts.config.cleansing.schemaPrefix,
    limits: createVerificationLimits({ redis: opts.redis, settings }),
    settings,
    alerts: createVerificationAlertStore({ pool: opts.pool }),
    metrics: app.metrics,
    log: opts.log.child({ module: 'verification' }),
    ...(opts.canVerify ? { canVerify: opts.canVerify } : {}),
  });
  // The error handler sends a fixed Retry-After; a limit knows how long it really lasts.
  const retryAfter = new WeakMap<FastifyRequest, number>();
  app.addHook('onSend', async (request, reply) => {
    const seconds = retryAfter.get(request);
    if (seconds !== undefined) reply.header('retry-after', String(seconds));
  });

  app.post<{ Body: VerifyInput }>('/verify', {
    config: { roles: ['consumer', 'department', 'authority'] },
    schema: {
      tags: ['sharing'],
      summary: 'Verify claimed field values of one record: match or mismatch per field, never the stored values',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['dataset', 'key', 'claims'],
        properties: {
          dataset: { type: 'string', pattern: datasetIdPattern.source, maxLength: 120 },
          key: { type: 'string', minLength: 1, maxLength: 500 },
          claims: { type: 'object', minProperties: 1, maxProperties: 100 },
        },
      },
    },
  }, async (request) => {
    const p = request.principal!;
    const trace = (action: string, detail: Record<string, unknown>) =>
      opts.audit?.append(opts.pool, {
        actor: p.name,
        actorRole: p.role,
        action,
        method: 'verification',
        datasets: [request.body.dataset],
        fields: Object.keys(request.body.claims ?? {}),
        detail: { keyHash: createHash('sha256').update(request.body.key).digest('hex'), ...detail },
      });
    try {
      const answer = await service.verify(p, request.body);
      await trace('verification.called', { found: answer.found });
      return answer;
    } catch (err) {
      if (err instanceof RateLimited) {
        retryAfter.set(request, err.retryAfterSeconds);
        await trace('verification.refused', { reason: err.message });
      }
      throw err;
    }
  });

  app.get<{ Querystring: { principal?: string; status?: 'open' | 'resolved'; limit: number; offset: number } }>('/verify/alerts', {
    config: { roles: ['authority'] },
    schema: {
      tags: ['sharing'],
      summary: 'Crawl alerts of the verification interface (one open alert per principal and day)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          principal: { type: 'string', maxLength: 100 },
          status: { type: 'string', enum: ['open', 'resolved'] },
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          offset: { type: 'integer', minimum: 0, default: 0 },
        },
      },
    },
  }, async (request) => service.alerts.list(request.query));
}
