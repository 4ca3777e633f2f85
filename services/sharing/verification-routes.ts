import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/log.ts';
import type { HubConfig } from '../platform/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Redis } from '../platform/redis.ts';
import type { CatalogService } from '../catalog/service.ts';
import { datasetIdPattern } from '../contract/names.ts';
import { createVerificationLimits } from './rate-limits.ts';
import { createVerificationAlertStore } from './verification-alerts.ts';
import { RateLimited, createVerificationService, type CanVerify, type VerifyInput } from './verification.ts';

export interface VerificationRouteOptions {
  config: HubConfig;
  catalog: CatalogService;
  pool: Pool;
  redis: Redis;
  log: Logger;
  canVerify: CanVerify;
  /** Every call is traceable (Quanzhou 8(4)): who, what data, which fields, when; never values. */
  audit?: AuditLog;
  /**
   * HMAC key for business keys in the audit trail and in Redis (LocalSecrets.keyHashSecret), kept out
   * of the database: a plain hash of an ID number is found again in about a thousand tries.
   */
  keyHashSecret?: string;
}

/** The key as the audit trail holds it: HMAC-SHA256 (hex) under the hub's key-hash secret. */
export function hashKeyForAudit(secret: string, key: string): string {
  return createHmac('sha256', secret).update(key).digest('hex');
}

// Without a configured secret, hashes are consistent within this process only (and cannot be recomputed later).
let processSecret: string | undefined;
function fallbackSecret(log: Logger): string {
  if (processSecret === undefined) {
    processSecret = randomBytes(32).toString('hex');
    log.warn(
      'verification has no keyHashSecret: keys are hashed with a random per-process secret, so audit key hashes cannot be matched across restarts and hub instances do not share per-key limits',
    );
  }
  return processSecret;
}

/** POST /verify (可用不可见: match/mismatch per claimed field, never a value) and GET /verify/alerts for the authority. */
export async function verificationRoutes(app: FastifyInstance, opts: VerificationRouteOptions): Promise<void> {
  const settings = opts.config.verification;
  const log = opts.log.child({ module: 'verification' });
  const secret = opts.keyHashSecret || fallbackSecret(log);
  const service = createVerificationService({
    catalog: opts.catalog,
    pool: opts.pool,
    schemaPrefix: opts.config.cleansing.schemaPrefix,
    limits: createVerificationLimits({ redis: opts.redis, settings, keySecret: secret }),
    settings,
    alerts: createVerificationAlertStore({ pool: opts.pool }),
    metrics: app.metrics,
    log,
    canVerify: opts.canVerify,
  });
  // The error handler sends a fixed Retry-After; a limit knows how long it really lasts.
  const retryAfter = new WeakMap<FastifyRequest, number>();
  app.addHook('onSend', async (request, reply) => {
    const seconds = retryAfter.get(request);
    if (seconds !== undefined) reply.header('retry-after', String(seconds));
  });

  // The provider a verification is of (the dataset's contract owner), looked up at most every few seconds.
  const owners = new Map<string, { owner: string | null; at: number }>();
  const ownerOf = async (dataset: string): Promise<string | null> => {
    const hit = owners.get(dataset);
    if (hit && Date.now() - hit.at < 10_000) return hit.owner;
    const owner = await opts.catalog.contract(dataset).then(
      (c) => c.owner,
      () => null,
    );
    // Only real datasets are remembered: made-up names cannot grow the map.
    if (owner !== null) owners.set(dataset, { owner, at: Date.now() });
    return owner;
  };

  app.post<{ Body: VerifyInput }>(
    '/verify',
    {
      config: { roles: ['consumer', 'department'] },
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
    },
    async (request) => {
      const p = request.principal!;
      const trace = async (action: string, detail: Record<string, unknown>) =>
        opts.audit?.append(opts.pool, {
          actor: p.name,
          actorRole: p.role,
          action,
          method: 'verification',
          // Whose data was verified, so that the provider's usage view counts it.
          subjectProvider: await ownerOf(request.body.dataset),
          datasets: [request.body.dataset],
          fields: Object.keys(request.body.claims ?? {}),
          detail: { keyHash: hashKeyForAudit(secret, request.body.key), ...detail },
        });
      try {
        // Nothing about the answer: a verdict stored beside the key hash would tell whether the key exists.
        return await service.verify(p, request.body, () => trace('verification.called', {}));
      } catch (err) {
        if (err instanceof RateLimited) {
          retryAfter.set(request, err.retryAfterSeconds);
          await trace('verification.refused', { reason: err.message });
        }
        throw err;
      }
    },
  );

  app.get<{ Querystring: { principal?: string; status?: 'open' | 'resolved'; limit: number; offset: number } }>(
    '/verify/alerts',
    {
      config: { roles: ['authority'] },
      schema: {
        tags: ['sharing'],
        summary: 'Crawl alerts of the verification interface: too many distinct keys or mismatches (one open alert per principal and day)',
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
    },
    async (request) => service.alerts.list(request.query),
  );
}
