import { randomBytes } from 'node:crypto';
import type { BenchEnvironment } from './environment.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { startCleansingWorkers } from '../../services/cleansing/workers.ts';
import { createVerificationLimits } from '../../services/sharing/rate-limits.ts';
import { quoteIdent } from '../../services/platform/db/pool.ts';
import { percentile, report, round, throughput } from './stats.ts';
import { person } from './people.ts';
import { declareProvider, post } from './api.ts';

/** Requests per second and latencies of `op` run `total` times, `concurrency` in flight. */
async function measure(total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<{ rate: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const rate = await throughput(total, concurrency, async (i) => {
    const t0 = performance.now();
    await op(i);
    latencies.push(performance.now() - t0);
  });
  return { rate, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * POST /api/v1/verify over HTTP (auth, Redis limits script, catalog schema, one indexed read of the
 * landed table) beside GET /health/live, the cheapest fastify route, in the same run.
 */
export async function benchVerification(
  env: BenchEnvironment,
  { records = 300, requests = 5000, concurrency = 16 }: { records?: number; requests?: number; concurrency?: number } = {},
): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const authority = await env.app.principals.create({ name: `bench-vf-authority-${suffix}`, role: 'authority' });
  const { credentials: dept } = (await post(env, '/departments', authority.token, { name: `bench-vf-${suffix}`, displayName: `基准测试核验 ${suffix}` })) as {
    credentials: PrincipalCredentials;
  };
  // Another bench may already provide the dataset: then this department is enrolled by the authority.
  await declareProvider(env, { authorityToken: authority.token, deptToken: dept.token, body: { dataset: 'base.natural_person' } });

  const people = Array.from({ length: records }, (_, k) => person(900_000 + k));
  const table = `${quoteIdent(`${env.config.cleansing.schemaPrefix}base`)}.natural_person`;
  const landed = async () =>
    Number(
      (
        await env.app.db
          .query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE _key = ANY($1)`, [people.map((p) => p.id_number)])
          .catch(() => ({ rows: [{ n: '0' }] }))
      ).rows[0]?.n ?? 0,
    );
  const worker = await startCleansingWorkers(env.app, { config: env.config, log: env.log, groupId: `bench-verification-${suffix}` });
  await post(env, '/datasets/base.natural_person/records', dept.token, { records: people });
  while ((await landed()) < records) await new Promise((r) => setTimeout(r, 50));
  await worker.stop();

  const consumer = await env.app.principals.create({ name: `bench-vf-consumer-${suffix}`, role: 'consumer' });
  // The bench principal is a known bulk verifier: its limits are raised, still checked on every call.
  await createVerificationLimits({ redis: env.app.redis, settings: env.config.verification }).setOverride(consumer.name, {
    ratePerSecond: 1_000_000,
    dailyQuota: 1_000_000_000,
    crawlKeys: 1_000_000_000,
    claimsPerKeyPerDay: 1_000_000_000,
    mismatchMinCalls: 1_000_000_000,
  });
  await post(env, '/applications', consumer.token, {
    purpose: '基准测试核验',
    use: 'verification',
    datasets: [{ dataset: 'base.natural_person', fields: ['name', 'gender', 'birth_date'] }],
    validUntil: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const headers = { authorization: `Bearer ${consumer.token}`, 'content-type': 'application/json' };
  const verifyOne = async (i: number) => {
    const p = people[(i * 7919) % records] as Record<string, unknown>;
    const claims = {
      name: p.name,
      gender: i % 2 === 0 ? p.gender : 'UNKNOWN',
      birth_date: new Date((p.birth_date as number) * 86_400_000).toISOString().slice(0, 10),
    };
    const res = await fetch(`${env.url}/api/v1/verify`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ dataset: 'base.natural_person', key: p.id_number, claims }),
    });
    if (res.status !== 200) throw new Error(`verify answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const live = async () => {
    const res = await fetch(`${env.url}/health/live`);
    if (res.status !== 200) throw new Error(`/health/live answered ${res.status}`);
    await res.arrayBuffer();
  };
  await measure(500, concurrency, verifyOne);
  await measure(500, concurrency, live);
  const verification = await measure(requests, concurrency, verifyOne);
  const baseline = await measure(requests, concurrency, live);

  report({
    bench: 'sharing.verification',
    requests,
    concurrency,
    records,
    requests_per_sec: round(verification.rate),
    latency_p50_ms: round(verification.p50, 2),
    latency_p99_ms: round(verification.p99, 2),
    what: 'POST /api/v1/verify over HTTP (fetch): bearer auth, atomic Redis limits (burst, daily quota, crawl window), 3 claims normalized and compared with one landed row read by _key',
    baseline: 'GET /health/live on the same server, same client and concurrency',
    baseline_requests_per_sec: round(baseline.rate),
    baseline_latency_p99_ms: round(baseline.p99, 2),
    ratio: round(verification.rate / baseline.rate, 3),
  });
}
