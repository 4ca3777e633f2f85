import type { Pool, PoolClient } from '../platform/db/pool.ts';

export type AlertKind = 'invalid' | 'warning' | 'conflict';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'routed';

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
});

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

export interface AlertStore {
  insert(client: PoolClient, alerts: readonly QualityAlert[]): Promise<void>;
  list(filter: AlertFilter): Promise<QualityAlert[]>;
  review(id: string, by: string, status: AlertStatus, note: string | null): Promise<QualityAlert | null>;
}

export function createAlertStore({ pool }: { pool: Pool }): AlertStore {
  return {
    async insert(client, alerts) {
      if (alerts.length === 0) return;
      const params: unknown[] = [];
      const rows = alerts.map((a) => {
        params.push(a.id, a.kind, a.severity, a.dataset, a.key, a.fields, JSON.stringify(a.values), a.rule, a.message, JSON.stringify(a.sources), a.detectedAt);
        const n = params.length - 11;
        return `(${Array.from({ length: 11 }, (_, i) => `$${n + i + 1}`).join(', ')})`;
      });
      await client.query(
        `INSERT INTO quality_alerts (id, kind, severity, dataset, key, fields, field_values, rule, message, sources, detected_at) VALUES ${rows.join(', ')} ON CONFLICT (id) DO NOTHING`,
        params,
      );
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
  };
}
