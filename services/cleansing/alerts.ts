import { createHash } from 'node:crypto';
import { type Pool, type PoolClient, withTransaction } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';

export type AlertKind = 'invalid' | 'warning' | 'conflict';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'routed' | 'dismissed';
export const alertStatuses = ['open', 'acknowledged', 'resolved', 'routed', 'dismissed'] as const;
export const alertKinds = ['invalid', 'warning', 'conflict'] as const;

export interface AlertSource {
  provider: string;
  topic: string;
  partition: number;
  offset: string;
}

/** A quality alert for stewards: what is wrong, where, the values side by side, and their sources. */
export interface QualityAlert {
  id: string;
  kind: AlertKind;
  severity: 'error' | 'warning';
  dataset: string;
  key: string;
  fields: string[];
  values: { provider: string; field: string; value: unknown; authoritative: boolean }[];
  rule: string | null;
  message: string;
  sources: AlertSource[];
  detectedAt: string;
  status: AlertStatus;
  assignee?: string | null;
  /** How a steward closed it: kept, accepted, dismissed, routed. */
  resolution?: string | null;
}

export interface AlertAction {
  at: string;
  by: string;
  action: string;
  reason: string;
  assignee?: string;
}

/** The Avro form on quality.alerts (values as JSON text, so any field type fits). */
export const qualityAlertSchema = JSON.stringify({
  type: 'record',
  name: 'QualityAlert',
  namespace: 'gov.hub.quality',
  doc: '数据质量告警',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'kind', type: { type: 'enum', name: 'AlertKind', symbols: ['invalid', 'warning', 'conflict'] } },
    { name: 'severity', type: { type: 'enum', name: 'AlertSeverity', symbols: ['error', 'warning'] } },
    { name: 'dataset', type: 'string' },
    { name: 'key', type: 'string' },
    { name: 'fields', type: { type: 'array', items: 'string' } },
    {
      name: 'values',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'AlertValue',
          fields: [
            { name: 'provider', type: 'string' },
            { name: 'field', type: 'string' },
            { name: 'value_json', type: 'string' },
            { name: 'authoritative', type: 'boolean' },
          ],
        },
      },
    },
    { name: 'rule', type: ['null', 'string'], default: null },
    { name: 'message', type: 'string' },
    {
      name: 'sources',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'AlertSource',
          fields: [
            { name: 'provider', type: 'string' },
            { name: 'topic', type: 'string' },
            { name: 'partition', type: 'int' },
            { name: 'offset', type: 'string' },
          ],
        },
      },
    },
    { name: 'detected_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
});

export function toAlertValue(a: QualityAlert): Record<string, unknown> {
  return {
    id: a.id,
    kind: a.kind,
    severity: a.severity,
    dataset: a.dataset,
    key: a.key,
    fields: a.fields,
    values: a.values.map((v) => ({ provider: v.provider, field: v.field, value_json: JSON.stringify(v.value ?? null), authoritative: v.authoritative })),
    rule: a.rule,
    message: a.message,
    sources: a.sources,
    detected_at: Date.parse(a.detectedAt),
  };
}

interface Row {
  id: string;
  kind: AlertKind;
  severity: 'error' | 'warning';
  dataset: string;
  key: string;
  fields: string[];
  field_values: QualityAlert['values'];
  rule: string | null;
  message: string;
  sources: AlertSource[];
  detected_at: Date;
  status: AlertStatus;
  assignee: string | null;
  resolution: string | null;
  fingerprint: string | null;
  actions: AlertAction[];
  at_text?: string;
}

const toAlert = (r: Row): QualityAlert => ({
  id: r.id,
  kind: r.kind,
  severity: r.severity,
  dataset: r.dataset,
  key: r.key,
  fields: r.fields,
  values: r.field_values,
  rule: r.rule,
  message: r.message,
  sources: r.sources,
  detectedAt: r.detected_at.toISOString(),
  status: r.status,
  assignee: r.assignee,
  resolution: r.resolution,
});

/**
 * What makes two alerts "the same" for a steward's dismissal: the kind, rule, fields and each
 * source's value. A dismissed alert whose values come again is not raised; a changed value is.
 */
export function alertFingerprint(a: Pick<QualityAlert, 'kind' | 'rule' | 'fields' | 'values'>): string {
  const values = a.values
    .map((v) => [v.provider, v.field, v.value ?? null] as const)
    .sort((x, y) => (`${x[0]}\u0000${x[1]}` < `${y[0]}\u0000${y[1]}` ? -1 : 1));
  return createHash('sha256')
    .update(JSON.stringify([a.kind, a.rule, [...a.fields].sort(), values]))
    .digest('hex');
}

export interface AlertFilter {
  dataset?: string;
  kind?: AlertKind;
  status?: AlertStatus;
  key?: string;
  provider?: string;
  /**
   * A department's view: its own alerts, except conflicts in which its value was not kept (whether
   * one is raised would tell whether its value matches another's) until a steward routes them.
   */
  department?: string;
  limit: number;
  offset: number;
}

/** The stewards' queue: every filter, newest first, keyset paging (the cursor is opaque). */
export interface QueueFilter {
  dataset?: string;
  provider?: string;
  kind?: AlertKind;
  severity?: 'error' | 'warning';
  status?: AlertStatus;
  /** A principal's name, or "none" for unassigned alerts. */
  assignee?: string;
  olderThanDays?: number;
  limit: number;
  cursor?: string;
}

export interface QueueSummary {
  open: number;
  overdue: number;
  overdueDays: number;
  byKind: Record<AlertKind, number>;
  byStatus: Record<AlertStatus, number>;
}

export interface AlertDecision {
  status?: AlertStatus;
  resolution?: string | null;
  assignee?: string | null;
  action: AlertAction;
  /** Dismissal: the alert's values stop raising it (until it is reopened). */
  suppress?: boolean;
  /** Reopening lifts the alert's suppression. */
  unsuppress?: boolean;
}

export interface AlertStore {
  /** Records the alerts, except those a steward dismissed with the same values; returns those recorded. */
  insert(client: PoolClient, alerts: readonly QualityAlert[]): Promise<QualityAlert[]>;
  list(filter: AlertFilter): Promise<QualityAlert[]>;
  review(id: string, by: string, status: AlertStatus, note: string | null): Promise<QualityAlert | null>;
  queue(filter: QueueFilter): Promise<{ items: QualityAlert[]; next: string | null }>;
  summary(overdueDays: number): Promise<QueueSummary>;
  get(id: string): Promise<(QualityAlert & { actions: AlertAction[] }) | null>;
  /** Alerts detected after `since` (ISO), oldest first: what the live stream sends. */
  since(since: string, limit: number): Promise<QualityAlert[]>;
  /**
   * Per provider, alerts detected in [from, to): invalid records it sent, conflicts its value lost.
   * `routedConflictsOnly` (a department's own view): only the conflicts it may see, those a steward
   * routed; counting the others would tell it whether a value it sent matches another provider's.
   */
  countsByProvider(from: Date, to: Date, options?: { routedConflictsOnly?: boolean }): Promise<Map<string, { invalid: number; conflicts: number }>>;
  /**
   * Applies a steward's decision if the alert is in one of `from` statuses (a row lock decides
   * between two stewards); runs `also` in the same transaction (an override, a correction request).
   */
  decide(
    id: string,
    from: readonly AlertStatus[],
    decision: AlertDecision,
    also?: (client: PoolClient, alert: QualityAlert) => Promise<void>,
  ): Promise<QualityAlert>;
}

function encodeCursor(atText: string, id: string): string {
  return Buffer.from(JSON.stringify([atText, id])).toString('base64url');
}

const badCursor = () => new HubError('HUB_ERR_VALIDATION', 'cursor: not a cursor this queue handed out');
/** Postgres' `timestamptz::text` (ISO DateStyle), the only time a cursor carries. */
const cursorTime = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;
const cursorId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      if (cursorTime.test(parsed[0]) && !Number.isNaN(Date.parse(parsed[0])) && cursorId.test(parsed[1])) return [parsed[0], parsed[1]];
    }
  } catch {
    // fall through: the same answer for every malformed cursor
  }
  throw badCursor();
}

/** The queue's WHERE clause and parameters; shared by the page query and the bench's plain SQL. */
export function queueQuery(filter: QueueFilter): { text: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (p: string) => string, v: unknown) => {
    values.push(v);
    where.push(sql(`$${values.length}`));
  };
  if (filter.dataset) add((p) => `dataset = ${p}`, filter.dataset);
  if (filter.kind) add((p) => `kind = ${p}`, filter.kind);
  if (filter.severity) add((p) => `severity = ${p}`, filter.severity);
  if (filter.status) add((p) => `status = ${p}`, filter.status);
  if (filter.assignee === 'none') where.push('assignee IS NULL');
  else if (filter.assignee) add((p) => `assignee = ${p}`, filter.assignee);
  if (filter.provider) add((p) => `sources @> jsonb_build_array(jsonb_build_object('provider', ${p}::text))`, filter.provider);
  if (filter.olderThanDays !== undefined) add((p) => `detected_at < now() - make_interval(days => ${p}::int)`, filter.olderThanDays);
  if (filter.cursor) {
    const [at, id] = decodeCursor(filter.cursor);
    values.push(at, id);
    where.push(`(detected_at, id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
  }
  values.push(filter.limit + 1);
  const text = `SELECT *, detected_at::text AS at_text FROM quality_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY detected_at DESC, id DESC LIMIT $${values.length}`;
  return { text, values };
}

/** The queue's counts by status and kind, with those older than $1 days; the bench times it too. */
export const summarySql = `SELECT status, kind, count(*) AS n, count(*) FILTER (WHERE detected_at < now() - make_interval(days => $1::int)) AS overdue
  FROM quality_alerts GROUP BY status, kind`;

export function createAlertStore({ pool }: { pool: Pool }): AlertStore {
  const selectOne = async (client: Pool | PoolClient, id: string, lock = false): Promise<Row | undefined> =>
    (await client.query<Row>(`SELECT * FROM quality_alerts WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id])).rows[0];
  return {
    async insert(client, alerts) {
      if (alerts.length === 0) return [];
      const prints = alerts.map(alertFingerprint);
      const { rows: suppressed } = await client.query<{ dataset: string; key: string; fingerprint: string }>(
        `SELECT s.dataset, s.key, s.fingerprint FROM alert_suppressions s
           JOIN unnest($1::text[], $2::text[], $3::text[]) AS u(dataset, key, fingerprint) USING (dataset, key, fingerprint)`,
        [alerts.map((a) => a.dataset), alerts.map((a) => a.key), prints],
      );
      const off = new Set(suppressed.map((s) => `${s.dataset}\u0000${s.key}\u0000${s.fingerprint}`));
      const kept = alerts.map((a, i) => ({ a, print: prints[i]! })).filter(({ a, print }) => !off.has(`${a.dataset}\u0000${a.key}\u0000${print}`));
      if (kept.length === 0) return [];
      const params: unknown[] = [];
      const rows = kept.map(({ a, print }) => {
        params.push(
          a.id,
          a.kind,
          a.severity,
          a.dataset,
          a.key,
          a.fields,
          JSON.stringify(a.values),
          a.rule,
          a.message,
          JSON.stringify(a.sources),
          a.detectedAt,
          print,
        );
        const n = params.length - 12;
        return `(${Array.from({ length: 12 }, (_, i) => `$${n + i + 1}`).join(', ')})`;
      });
      await client.query(
        `INSERT INTO quality_alerts (id, kind, severity, dataset, key, fields, field_values, rule, message, sources, detected_at, fingerprint) VALUES ${rows.join(', ')} ON CONFLICT (id) DO NOTHING`,
        params,
      );
      return kept.map(({ a }) => a);
    },
    async list({ dataset, kind, status, key, provider, department, limit, offset }) {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM quality_alerts
         WHERE ($1::text IS NULL OR dataset = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR status = $3)
           AND ($4::text IS NULL OR key = $4) AND ($5::text IS NULL OR sources @> jsonb_build_array(jsonb_build_object('provider', $5::text)))
           AND ($8::text IS NULL OR (sources @> jsonb_build_array(jsonb_build_object('provider', $8::text))
                AND (kind <> 'conflict' OR status = 'routed' OR field_values -> 0 ->> 'provider' = $8)))
         ORDER BY detected_at DESC, id LIMIT $6 OFFSET $7`,
        [dataset ?? null, kind ?? null, status ?? null, key ?? null, provider ?? null, limit, offset, department ?? null],
      );
      return rows.map(toAlert);
    },
    async review(id, by, status, note) {
      const { rows } = await pool.query<Row>(
        'UPDATE quality_alerts SET status = $3, reviewed_by = $2, reviewed_at = now(), note = $4 WHERE id = $1 RETURNING *',
        [id, by, status, note],
      );
      return rows[0] ? toAlert(rows[0]) : null;
    },
    async queue(filter) {
      const { text, values } = queueQuery(filter);
      const { rows } = await pool.query<Row>(text, values).catch((err: unknown) => {
        // A cursor of the right shape with an impossible time (31 February): as any forged cursor.
        const code = (err as { code?: unknown }).code;
        if (filter.cursor && (code === '22007' || code === '22008' || code === '22009')) throw badCursor();
        throw err;
      });
      const page = rows.slice(0, filter.limit);
      const last = page[page.length - 1];
      return { items: page.map(toAlert), next: rows.length > filter.limit && last ? encodeCursor(last.at_text!, last.id) : null };
    },
    async summary(overdueDays) {
      const { rows } = await pool.query<{ status: AlertStatus; kind: AlertKind; n: string; overdue: string }>(summarySql, [overdueDays]);
      const out: QueueSummary = {
        open: 0,
        overdue: 0,
        overdueDays,
        byKind: { invalid: 0, warning: 0, conflict: 0 },
        byStatus: { open: 0, acknowledged: 0, resolved: 0, routed: 0, dismissed: 0 },
      };
      for (const r of rows) {
        out.byStatus[r.status] += Number(r.n);
        if (r.status !== 'open' && r.status !== 'acknowledged') continue;
        out.open += Number(r.n);
        out.overdue += Number(r.overdue);
        out.byKind[r.kind] += Number(r.n);
      }
      return out;
    },
    async get(id) {
      const row = await selectOne(pool, id);
      return row ? { ...toAlert(row), actions: row.actions } : null;
    },
    async since(since, limit) {
      const { rows } = await pool.query<Row>('SELECT * FROM quality_alerts WHERE detected_at > $1::timestamptz ORDER BY detected_at, id LIMIT $2', [
        since,
        limit,
      ]);
      return rows.map(toAlert);
    },
    async countsByProvider(from, to, options = {}) {
      const { rows } = await pool.query<{ provider: string; invalid: string; conflicts: string }>(
        `SELECT CASE WHEN kind = 'conflict' THEN field_values -> 1 ->> 'provider' ELSE sources -> 0 ->> 'provider' END AS provider,
                count(*) FILTER (WHERE kind = 'invalid') AS invalid,
                count(*) FILTER (WHERE kind = 'conflict' AND (NOT $3 OR status = 'routed')) AS conflicts
           FROM quality_alerts WHERE detected_at >= $1 AND detected_at < $2 GROUP BY 1`,
        [from, to, options.routedConflictsOnly === true],
      );
      return new Map(rows.map((r) => [r.provider, { invalid: Number(r.invalid), conflicts: Number(r.conflicts) }]));
    },
    async decide(id, from, decision, also) {
      return withTransaction(pool, async (client) => {
        const row = await selectOne(client, id, true);
        if (!row) throw new HubError('HUB_ERR_NOT_FOUND', `no quality alert ${id}`);
        if (!from.includes(row.status)) {
          throw new HubError('HUB_ERR_CONFLICT', `alert ${id} is ${row.status}; "${decision.action.action}" applies to ${from.join(' or ')} alerts only`);
        }
        const alert = toAlert(row);
        await also?.(client, alert);
        const { rows } = await client.query<Row>(
          `UPDATE quality_alerts SET status = COALESCE($2, status), resolution = CASE WHEN $3 THEN $4 ELSE resolution END,
             assignee = CASE WHEN $5 THEN $6 ELSE assignee END, actions = actions || jsonb_build_array($7::jsonb),
             reviewed_by = $8, reviewed_at = now()
           WHERE id = $1 RETURNING *`,
          [
            id,
            decision.status ?? null,
            decision.resolution !== undefined,
            decision.resolution ?? null,
            decision.assignee !== undefined,
            decision.assignee ?? null,
            JSON.stringify(decision.action),
            decision.action.by,
          ],
        );
        if (decision.suppress) {
          await client.query(
            `INSERT INTO alert_suppressions (dataset, key, fingerprint, alert_id, dismissed_by, reason) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (dataset, key, fingerprint) DO NOTHING`,
            [row.dataset, row.key, row.fingerprint ?? alertFingerprint(alert), id, decision.action.by, decision.action.reason],
          );
        }
        if (decision.unsuppress) {
          await client.query('DELETE FROM alert_suppressions WHERE dataset = $1 AND key = $2 AND fingerprint = $3', [
            row.dataset,
            row.key,
            row.fingerprint ?? alertFingerprint(alert),
          ]);
        }
        return toAlert(rows[0]!);
      });
    },
  };
}
