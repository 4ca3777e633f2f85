import { randomBytes } from 'node:crypto';
import type { BenchEnvironment } from './environment.ts';
import { type QueueFilter, queueQuery, summarySql } from '../../services/cleansing/alerts.ts';
import { percentile, report, round } from './stats.ts';

const datasets = ['base.natural_person', 'base.legal_entity', 'base.credit_record', 'base.e_license', 'theme.social_insurance_enrolment'];
const providers = ['psb', 'mca', 'amr', 'hrss', 'tax'];

/**
 * `alerts` quality alerts in one statement: half invalid, 30% warnings, 20% conflicts (two sources),
 * five datasets and five providers, detected at distinct instants over the last 90 days, 80% open
 * (the rest resolved, dismissed or acknowledged), 15% assigned to a steward. Every id starts with
 * `tag`, so the rows can be deleted again by an index range.
 */
const fillSql = `
INSERT INTO quality_alerts (id, kind, severity, dataset, key, fields, field_values, rule, message, sources, detected_at,
                            status, assignee, resolution, fingerprint, actions)
SELECT overlay(md5(g::text) PLACING $4 FROM 1 FOR 8)::uuid, k.kind, CASE k.kind WHEN 'invalid' THEN 'error' ELSE 'warning' END,
       d.dataset, d.key, ARRAY[f.field],
       CASE WHEN k.kind = 'conflict'
         THEN jsonb_build_array(jsonb_build_object('provider', p.provider, 'field', f.field, 'value', f.value, 'authoritative', f.rule = 'authoritative-source'),
                                jsonb_build_object('provider', p.other, 'field', f.field, 'value', f.value || '*', 'authoritative', false))
         ELSE jsonb_build_array(jsonb_build_object('provider', p.provider, 'field', f.field, 'value', f.value, 'authoritative', false)) END,
       f.rule, f.message,
       CASE WHEN k.kind = 'conflict'
         THEN jsonb_build_array(p.source, jsonb_build_object('provider', p.other, 'topic', 'raw.' || p.other || '.' || d.dataset, 'partition', 0, 'offset', (g * 3 + 1)::text))
         ELSE jsonb_build_array(p.source) END,
       t.at, s.status, s.assignee, s.resolution, md5(k.kind || f.field || f.value),
       CASE WHEN s.status = 'open' AND s.assignee IS NULL THEN '[]'::jsonb
         ELSE jsonb_build_array(jsonb_build_object(
                'at', t.at + interval '2 hours', 'by', coalesce(s.assignee, ($5::text[])[1]), 'reason', '核实后处理',
                'action', CASE s.resolution WHEN 'kept' THEN 'keep' WHEN 'accepted' THEN 'accept' WHEN 'dismissed' THEN 'dismiss' ELSE 'assign' END)) END
  FROM generate_series(1, $1::int) AS g,
       LATERAL (SELECT abs(hashint4extended(g, 1)) AS h1, abs(hashint4extended(g, 2)) AS h2, abs(hashint4extended(g, 3)) AS h3) AS h,
       LATERAL (SELECT CASE WHEN h.h1 % 100 < 50 THEN 'invalid' WHEN h.h1 % 100 < 80 THEN 'warning' ELSE 'conflict' END AS kind) AS k,
       LATERAL (SELECT ($2::text[])[1 + h.h2 % cardinality($2::text[])] AS dataset,
                       '340104' || lpad(((g::bigint * 104729) % 1000000000000)::text, 12, '0') AS key) AS d,
       LATERAL (SELECT ($3::text[])[1 + h.h3 % cardinality($3::text[])] AS provider,
                       ($3::text[])[1 + (h.h3 + 1 + h.h2 % 3) % cardinality($3::text[])] AS other) AS p0,
       LATERAL (SELECT p0.provider, p0.other,
                       jsonb_build_object('provider', p0.provider, 'topic', 'raw.' || p0.provider || '.' || d.dataset, 'partition', 0, 'offset', (g * 3)::text) AS source) AS p,
       LATERAL (SELECT 1 + h.h1 / 100 % 3 AS i) AS r,
       LATERAL (SELECT CASE k.kind
                  WHEN 'invalid' THEN (ARRAY['id_number', 'birth_date', 'name'])[r.i]
                  WHEN 'warning' THEN (ARRAY['phone', 'household_region_code', 'registered_capital_fen'])[r.i]
                  ELSE (ARRAY['name', 'gender', 'birth_date'])[r.i] END AS field,
                CASE k.kind
                  WHEN 'invalid' THEN (ARRAY['resident-id', 'date-past', 'not-blank'])[r.i]
                  WHEN 'warning' THEN (ARRAY['phone-cn', 'region-code', 'positive'])[r.i]
                  ELSE (ARRAY['authoritative-source', 'first-source', 'authoritative-source'])[r.i] END AS rule,
                CASE k.kind
                  WHEN 'invalid' THEN (ARRAY['身份证号码校验位错误', '出生日期晚于当前日期', '姓名不能为空'])[r.i]
                  WHEN 'warning' THEN (ARRAY['手机号码格式不符', '行政区划代码不存在', '注册资本应为正数'])[r.i]
                  ELSE p.other || ' 与 ' || p.provider || ' 的取值不一致，保留 ' || p.provider || ' 的值' END AS message,
                (g % 9973)::text AS value) AS f,
       LATERAL (SELECT now() - ((g::bigint * 2654435761) % 7776000000) * interval '1 millisecond' AS at) AS t,
       LATERAL (SELECT CASE WHEN h.h2 / 10 % 100 < 80 THEN 'open' WHEN h.h2 / 10 % 100 < 92 THEN 'resolved'
                            WHEN h.h2 / 10 % 100 < 98 THEN 'dismissed' ELSE 'acknowledged' END AS status,
                       CASE WHEN h.h3 / 10 % 100 < 15 THEN ($5::text[])[1 + h.h3 / 1000 % cardinality($5::text[])] END AS assignee,
                       CASE WHEN h.h2 / 10 % 100 BETWEEN 80 AND 91 THEN (ARRAY['kept', 'accepted'])[1 + h.h2 / 1000 % 2]
                            WHEN h.h2 / 10 % 100 BETWEEN 92 AND 97 THEN 'dismissed' END AS resolution) AS s`;

/**
 * GET /api/v1/quality/queue through app.inject() as a steward, over a queue of `alerts` alerts
 * (filled inside Postgres, then vacuumed and analysed): the first open page, an open page about
 * `depth` rows down by its keyset cursor, and the first open page filtered on provider and kind,
 * each beside the same SQL (queueQuery of the same filter) run directly with pg on the same pool;
 * and the summary cards beside their SQL.
 */
export async function benchAlertQueue(
  env: BenchEnvironment,
  {
    alerts = 200_000,
    depth = 150_000,
    iterations = 200,
    warmup = 30,
    limit = 50,
    summaryIterations = 30,
  }: { alerts?: number; depth?: number; iterations?: number; warmup?: number; limit?: number; summaryIterations?: number } = {},
): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const tag = randomBytes(4).toString('hex');
  const pool = env.app.db;
  const steward = await env.app.principals.create({ name: `bench-aq-steward-${suffix}`, role: 'steward' });
  const stewards = [steward.name, `bench-aq-steward-${suffix}-b`, `bench-aq-steward-${suffix}-c`];
  const headers = { authorization: `Bearer ${steward.token}` };
  try {
    const fillStarted = performance.now();
    await pool.query(fillSql, [alerts, datasets, providers, tag, stewards]);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    // VACUUM as well as ANALYZE: otherwise autovacuum's insert threshold starts a pass over the table mid-measurement.
    await pool.query('VACUUM (ANALYZE) quality_alerts');
    const open = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM quality_alerts WHERE status = 'open'`)).rows[0]?.n ?? 0);
    const offset = Math.max(0, Math.min(depth, open - 2 * limit));
    const { rows: at } = await pool.query<{ at: string; id: string }>(
      `SELECT detected_at::text AS at, id FROM quality_alerts WHERE status = 'open' ORDER BY detected_at DESC, id DESC OFFSET $1 LIMIT 1`,
      [offset],
    );
    if (!at[0]) throw new Error(`bench: no open alert at offset ${offset}`);
    // The queue's own cursor format (encodeCursor in services/cleansing/alerts.ts), opaque to clients.
    const cursor = Buffer.from(JSON.stringify([at[0].at, at[0].id])).toString('base64url');

    const cases: { page: string; filter: QueueFilter; extra?: Record<string, unknown> }[] = [
      { page: 'first', filter: { status: 'open', limit } },
      { page: 'deep', filter: { status: 'open', limit, cursor }, extra: { cursor_offset: offset } },
      { page: 'first_filtered', filter: { status: 'open', provider: 'mca', kind: 'conflict', limit } },
    ];
    for (const { page, filter, extra } of cases) {
      const params = new URLSearchParams(Object.entries(filter).map(([k, v]): [string, string] => [k, String(v)]));
      const url = `/api/v1/quality/queue?${params}`;
      const { text, values } = queueQuery(filter);
      const server = async () => {
        const t0 = performance.now();
        const res = await env.app.inject({ method: 'GET', url, headers });
        const ms = performance.now() - t0;
        if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${res.body}`);
        return { ms, res };
      };
      const sql = async () => {
        const t0 = performance.now();
        const result = await pool.query<{ id: string }>(text, values);
        return { ms: performance.now() - t0, rows: result.rows };
      };
      // The route answers the page the plain SQL finds: the baseline runs the same query.
      const answer = (await server()).res.json<{ items: { id: string }[]; next: string | null }>();
      const direct = (await sql()).rows.slice(0, limit);
      if (answer.items.length !== direct.length || answer.items.some((a, i) => a.id !== direct[i]?.id))
        throw new Error(`bench: ${page} page of the queue differs from its plain SQL`);
      for (let i = 0; i < warmup; i++) {
        await server();
        await sql();
      }
      // Alternating, so that drift on the machine hits both alike.
      const serverMs: number[] = [];
      const sqlMs: number[] = [];
      for (let i = 0; i < iterations; i++) {
        serverMs.push((await server()).ms);
        sqlMs.push((await sql()).ms);
      }
      report({
        bench: 'stewardship.alert_queue',
        page,
        query: url.replace(cursor, '<cursor>'),
        alerts,
        open_alerts: open,
        ...extra,
        items: answer.items.length,
        n: iterations,
        p50_ms: round(percentile(serverMs, 50)),
        p95_ms: round(percentile(serverMs, 95)),
        what: 'app.inject() as a steward: bearer auth, role check, querystring schema, keyset query, rows to alerts, JSON serialization',
        baseline: 'queueQuery(filter) (the same text and values) run with pg on the same pool',
        baseline_p50_ms: round(percentile(sqlMs, 50)),
        baseline_p95_ms: round(percentile(sqlMs, 95)),
        ratio: round(percentile(serverMs, 50) / percentile(sqlMs, 50), 3),
        fill_seconds: round(fillSeconds, 1),
      });
    }
    // The summary cards: one GROUP BY over every alert, beside the same SQL.
    const summaryUrl = '/api/v1/quality/summary';
    const summaryServer: number[] = [];
    const summarySqlMs: number[] = [];
    for (let i = 0; i < warmup + summaryIterations; i++) {
      const t0 = performance.now();
      const res = await env.app.inject({ method: 'GET', url: summaryUrl, headers });
      const t1 = performance.now();
      if (res.statusCode !== 200) throw new Error(`GET ${summaryUrl} answered ${res.statusCode}: ${res.body}`);
      await pool.query(summarySql, [5]);
      const t2 = performance.now();
      if (i < warmup) continue;
      summaryServer.push(t1 - t0);
      summarySqlMs.push(t2 - t1);
    }
    report({
      bench: 'stewardship.alert_queue',
      page: 'summary',
      query: summaryUrl,
      alerts,
      open_alerts: open,
      n: summaryIterations,
      p50_ms: round(percentile(summaryServer, 50)),
      p95_ms: round(percentile(summaryServer, 95)),
      what: 'app.inject() as a steward: the summary cards (open, overdue, by kind and status)',
      baseline: 'summarySql run with pg on the same pool',
      baseline_p50_ms: round(percentile(summarySqlMs, 50)),
      baseline_p95_ms: round(percentile(summarySqlMs, 95)),
      ratio: round(percentile(summaryServer, 50) / percentile(summarySqlMs, 50), 3),
    });
  } finally {
    await pool.query('DELETE FROM quality_alerts WHERE id BETWEEN $1::uuid AND $2::uuid', [`${tag}${'0'.repeat(24)}`, `${tag}${'f'.repeat(24)}`]);
    await pool.query('VACUUM (ANALYZE) quality_alerts');
  }
}
