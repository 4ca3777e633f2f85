import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import type { BenchEnvironment } from './environment.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { loadSchemaFiles } from '../../services/contract/dataset-schema.ts';
import { ensureLandingTables, landingTableOf } from '../../services/cleansing/landing/tables.ts';
import { quoteIdent } from '../../services/platform/db/pool.ts';
import { declareProvider, post } from './api.ts';
import { fill } from './landing-scale.ts';
import { report, round } from './stats.ts';

const dataset = 'base.natural_person';
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** Newlines in a byte stream and the peak RSS while it is read, without keeping it. */
async function drain(chunks: AsyncIterable<Uint8Array>): Promise<{ lines: number; seconds: number; rssGrowthMb: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const started = performance.now();
  let lines = 0;
  try {
    for await (const chunk of chunks) for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { lines, seconds: (performance.now() - started) / 1000, rssGrowthMb: mb(peak - before) };
}

/**
 * Download of a 1,000,000-row open dataset over HTTP (CSV, desensitized snapshot) beside a bare
 * `COPY … TO STDOUT` of the same snapshot rows on one pool connection, in the same run.
 */
export async function benchOpenDownload(env: BenchEnvironment, { rows = 1_000_000 }: { rows?: number } = {}): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const authority = await env.app.principals.create({ name: `bench-od-authority-${suffix}`, role: 'authority' });
  const { credentials: dept } = (await post(env, '/departments', authority.token, { name: `bench-od-${suffix}`, displayName: `基准测试开放 ${suffix}` })) as {
    credentials: PrincipalCredentials;
  };
  await declareProvider(env, { authorityToken: authority.token, deptToken: dept.token, body: { dataset, openType: 'open' } });
  // Other benches' entries of the dataset are not open: the authority opens them, as each provider would.
  for (const entry of (await env.app.catalog.search({ dataset, limit: 500, offset: 0 })).entries) {
    if (entry.openType === 'open') continue;
    const res = await fetch(`${env.url}/api/v1/catalog/${entry.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${authority.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ openType: 'open', reason: '基准测试开放' }),
    });
    if (res.status !== 200) throw new Error(`opening ${entry.id} answered ${res.status}: ${await res.text()}`);
  }
  const owner = (await env.app.catalog.contract(dataset)).owner;
  await env.app.openData.request({ name: owner, role: 'department', kafkaUser: owner }, dataset, { openType: 'open', licence: 'CC-BY-4.0', description: null });
  await env.app.openData.review({ name: authority.name, role: 'authority', kafkaUser: authority.name }, dataset, { approve: true, reason: '基准测试' });

  const person = (await loadSchemaFiles()).find((s) => s.dataset === dataset)!;
  const table = landingTableOf(person, env.config.cleansing.schemaPrefix);
  await ensureLandingTables({ pool: env.app.db, table });
  const { rows: present } = await env.app.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdent(table.schema)}.${quoteIdent(table.table)}`);
  if (Number(present[0]?.n ?? 0) < rows) await fill(env.app.db, table, rows, false);

  const publishStarted = performance.now();
  await env.app.openData.publish(dataset);
  const publishSeconds = (performance.now() - publishStarted) / 1000;
  const shown = await env.app.openData.visible(dataset);
  const snapshot = shown.snapshot!;

  const hub = await drain((await fetch(`${env.url}/open/datasets/${dataset}/download.csv`)).body as unknown as AsyncIterable<Uint8Array>);
  const columns = shown.fields.map((f) => `row->>'${f.name}' AS ${quoteIdent(f.name)}`).join(', ');
  const client = await env.app.db.connect();
  let bare: Awaited<ReturnType<typeof drain>>;
  try {
    const stream: Readable = client.query(
      copyTo(`COPY (SELECT ${columns} FROM open_rows_${snapshot.id} WHERE n >= 1 ORDER BY n) TO STDOUT WITH (FORMAT csv, HEADER true)`),
    );
    bare = await drain(stream);
  } finally {
    client.release();
  }
  const hubRate = (hub.lines - 1) / hub.seconds;
  const bareRate = (bare.lines - 1) / bare.seconds;
  report({
    bench: 'open.download_csv',
    rows: hub.lines - 1,
    rows_per_sec: round(hubRate),
    rss_growth_mb: hub.rssGrowthMb,
    publish_seconds: round(publishSeconds, 1),
    publish_rows_per_sec: round(snapshot.rows / publishSeconds),
    what: 'GET /open/datasets/base.natural_person/download.csv over HTTP (fetch, body read to the end): the desensitized snapshot streamed by COPY',
    baseline: 'bare COPY … TO STDOUT of the same snapshot rows and columns on one pool connection',
    baseline_rows: bare.lines - 1,
    baseline_rows_per_sec: round(bareRate),
    baseline_rss_growth_mb: bare.rssGrowthMb,
    ratio: round(hubRate / bareRate, 3),
  });
}
