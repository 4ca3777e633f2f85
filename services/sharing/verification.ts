import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import type { DatasetSchema } from '../contract/dataset-schema.ts';
import type { Principal } from '../principals/types.ts';
import type { CatalogService } from '../catalog/service.ts';
import { landingTableOf, type LandingColumn, type LandingTable } from '../cleansing/landing/tables.ts';
import { readLandedColumns } from '../cleansing/landing/reader.ts';
import { normalizeRecord } from '../cleansing/normalize.ts';
import type { LimitName, LimitSettings, VerificationLimits } from './rate-limits.ts';
import type { VerificationAlertStore } from './verification-alerts.ts';

export type Verdict = 'match' | 'mismatch';

export interface VerifyInput {
  dataset: string;
  /** The business key as landed: the key fields' values joined with "|". */
  key: string;
  claims: Record<string, unknown>;
}

/**
 * Only yes/no answers: the stored values never leave the hub (可用不可见). Not even whether the key
 * exists: an unknown key answers as a known one whose every claim is wrong.
 */
export interface VerifyResult {
  dataset: string;
  key: string;
  results: Record<string, Verdict>;
}

/**
 * Whether a principal may verify these fields of a dataset: only under a verification grant that
 * covers them (an application or scenario whose use is verification).
 */
export type CanVerify = (principal: Principal, dataset: string, fields: readonly string[]) => boolean | Promise<boolean>;

export interface VerificationService {
  /** `answered` (the audit row) runs once the answer is settled, before it is returned. */
  verify(principal: Principal, input: VerifyInput, answered?: () => Promise<unknown>): Promise<VerifyResult>;
  alerts: VerificationAlertStore;
}

// No not_found: /metrics is public and would tell which keys exist.
type Outcome = 'match' | 'mismatch' | 'invalid' | 'forbidden' | `limited_${LimitName}`;

/** Rate-limit refusals carry their Retry-After (seconds) for the route to send. */
export class RateLimited extends HubError {
  readonly retryAfterSeconds: number;
  constructor(limit: LimitName, retryAfterMs: number) {
    const what = {
      burst: 'burst rate limit',
      daily: 'daily verification quota',
      'key-claims': 'limit of verifications of one key per day',
      crawl: 'crawl protection (too many distinct keys or mismatches; the data authority has been alerted)',
    }[limit];
    super('HUB_ERR_RATE_LIMITED', `verification refused by the ${what}; retry after ${Math.ceil(retryAfterMs / 1000)} s`, { details: { limit } });
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

function verificationCounter(registry: Registry): Counter<'dataset' | 'outcome'> {
  const name = 'hub_verification_requests_total';
  return (
    (registry.getSingleMetric(name) as Counter<'dataset' | 'outcome'> | undefined) ??
    new Counter({ name, help: 'verification calls by dataset and outcome', labelNames: ['dataset', 'outcome'], registers: [registry] })
  );
}

const dayMs = 86_400_000;

function parseDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(ms);
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]) ? ms / dayMs : null;
}

/** A claim as the Avro-style value of its column (date = days, timestamp = epoch ms); a reason when it cannot be one. */
function claimValue(column: LandingColumn, value: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (value === null) return { ok: true, value: null };
  const bad = (expected: string) => ({ ok: false as const, reason: `expected ${expected}` });
  switch (column.kind) {
    case 'string':
    case 'enum':
      return typeof value === 'string' ? { ok: true, value: column.kind === 'enum' ? value.trim() : value } : bad('a string');
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : bad('true or false');
    case 'int':
    case 'long':
    case 'double': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) return bad('a number');
      if (column.kind !== 'double' && !Number.isSafeInteger(n)) return bad('a whole number');
      return { ok: true, value: n };
    }
    case 'date': {
      const days = typeof value === 'string' ? parseDay(value) : Number.isInteger(value) ? (value as number) : null;
      return days === null ? bad('a date YYYY-MM-DD') : { ok: true, value: days };
    }
    case 'timestamp': {
      const ms =
        typeof value === 'string'
          ? Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}+08:00`)
          : Number.isSafeInteger(value)
            ? (value as number)
            : Number.NaN;
      return Number.isNaN(ms) ? bad('an ISO timestamp or epoch milliseconds') : { ok: true, value: ms };
    }
  }
}

interface Resolved {
  schema: DatasetSchema;
  notShared: boolean;
  table: LandingTable;
  columns: ReadonlyMap<string, LandingColumn>;
  at: number;
}

/** How long a dataset's schema is reused before the catalog is asked again (ms). */
const schemaTtlMs = 10_000;

export function createVerificationService(deps: {
  catalog: CatalogService;
  pool: Pool;
  schemaPrefix: string;
  limits: VerificationLimits;
  settings: LimitSettings;
  alerts: VerificationAlertStore;
  metrics: Registry;
  log: Logger;
  canVerify: CanVerify;
}): VerificationService {
  const { catalog, pool, schemaPrefix, limits, settings, alerts, log } = deps;
  const { canVerify } = deps;
  const counter = verificationCounter(deps.metrics);
  const resolved = new Map<string, Resolved>();

  async function resolve(dataset: string): Promise<Resolved> {
    const cached = resolved.get(dataset);
    if (cached && Date.now() - cached.at < schemaTtlMs) return cached;
    const { entries } = await catalog.search({ dataset, limit: 100, offset: 0 });
    if (entries.length === 0) throw new HubError('HUB_ERR_NOT_FOUND', `no dataset "${dataset}" in the catalog`);
    const schema = await catalog.contractOf(dataset);
    const table = landingTableOf(schema, schemaPrefix);
    // One provider declaring it not shared is enough for the lower limits.
    const notShared = entries.some((e) => e.shareType === 'not_shared');
    const r: Resolved = { schema, notShared, table, columns: new Map(table.columns.map((c) => [c.field, c])), at: Date.now() };
    resolved.set(dataset, r);
    return r;
  }

  /** The landing _key of a caller's key: each part normalized as cleansing normalized the key fields. */
  function landingKey(schema: DatasetSchema, key: string): string {
    const parts = key.split('|');
    if (parts.length !== schema.businessKey.length) return key;
    const record = Object.fromEntries(schema.businessKey.map((f, i) => [f, parts[i]]));
    const normalized = normalizeRecord(schema.json, record).value;
    return schema.businessKey.map((f) => String(normalized[f])).join('|');
  }

  async function verify(principal: Principal, input: VerifyInput, answered?: () => Promise<unknown>): Promise<VerifyResult> {
    // Resolved before the limits: they count the key as landed (spellings of one key are one key) and depend
    // on the share type. An unknown dataset is still metered, with the key as given, before its 404.
    let target: Resolved | undefined;
    let missing: HubError | undefined;
    try {
      target = await resolve(input.dataset);
    } catch (err) {
      if (!(err instanceof HubError && err.code === 'HUB_ERR_NOT_FOUND')) throw err;
      missing = err;
    }
    const key = target ? landingKey(target.schema, input.key) : input.key;
    // The row is read while the limits and the grant are checked (round trips in parallel); it is used only if both allow.
    const fields = Object.keys(input.claims);
    const used = target && fields.every((f) => target.columns.has(f)) ? fields.map((f) => target.columns.get(f) as LandingColumn) : null;
    const reading = target && used ? readLandedColumns(pool, target.table, key, used) : null;
    reading?.catch(() => undefined);
    const decision = await limits.check({ principal: principal.name, key, notShared: target?.notShared ?? false });
    if (!decision.allowed) {
      counter.inc({ dataset: target ? input.dataset : 'unresolved', outcome: `limited_${decision.limit}` satisfies Outcome });
      if (decision.crawl) {
        const alert = await alerts.record({
          principal: principal.name,
          dataset: input.dataset,
          ...decision.crawl,
          windowMs: settings.crawlWindowMs,
          at: new Date(),
        });
        log.warn(
          { principal: principal.name, dataset: input.dataset, alert: alert.id, ...decision.crawl },
          'verification crawl detected; principal blocked and authority alerted',
        );
      }
      throw new RateLimited(decision.limit, decision.retryAfterMs);
    }
    if (!target) throw missing;
    const { schema, columns } = target;

    const unknown = fields.filter((f) => !columns.has(f));
    if (!used || !reading || unknown.length > 0) {
      counter.inc({ dataset: input.dataset, outcome: 'invalid' satisfies Outcome });
      throw new HubError('HUB_ERR_VALIDATION', `${input.dataset} has no field ${unknown.join(', ')}`, {
        details: unknown.map((field) => ({ field, reason: 'unknown field' })),
      });
    }
    if (!(await canVerify(principal, input.dataset, fields))) {
      counter.inc({ dataset: input.dataset, outcome: 'forbidden' satisfies Outcome });
      throw new HubError(
        'HUB_ERR_FORBIDDEN',
        `${principal.name} holds no verification grant for these fields of ${input.dataset}: apply with "use": "verification" (POST /api/v1/applications)`,
      );
    }
    const normalized = normalizeRecord(schema.json, input.claims).value;
    const claimed = new Map<string, unknown>();
    const problems: { field: string; reason: string }[] = [];
    for (const f of fields) {
      const v = claimValue(columns.get(f) as LandingColumn, normalized[f]);
      if (v.ok) claimed.set(f, v.value);
      else problems.push({ field: f, reason: v.reason });
    }
    if (problems.length > 0) {
      counter.inc({ dataset: input.dataset, outcome: 'invalid' satisfies Outcome });
      throw new HubError('HUB_ERR_VALIDATION', `claims not usable: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`, { details: problems });
    }

    const row = await reading;
    const results: Record<string, Verdict> = {};
    for (const c of used) {
      const claim = claimed.get(c.field);
      // bigint arrives as text; compared as text so that no conversion error can echo a stored value.
      const same = c.kind === 'long' && claim !== null ? row?.[c.column] === String(claim) : row?.[c.column] === claim;
      results[c.field] = row !== undefined && same ? 'match' : 'mismatch';
    }
    const allMatch = Object.values(results).every((v) => v === 'match');
    await limits.record({ principal: principal.name, mismatch: !allMatch });
    // Only an answer that is returned is audited as answered.
    await answered?.();
    counter.inc({ dataset: input.dataset, outcome: (allMatch ? 'match' : 'mismatch') satisfies Outcome });
    return { dataset: input.dataset, key: input.key, results };
  }

  return { verify, alerts };
}
