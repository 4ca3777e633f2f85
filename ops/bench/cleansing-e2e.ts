import { randomBytes } from 'node:crypto';
import type { BenchEnvironment } from './environment.ts';
import type { PrincipalCredentials } from '../../services/principals/types.ts';
import { startCleansingWorkers } from '../../services/cleansing/workers.ts';
import { quoteIdent } from '../../services/platform/db/pool.ts';
import { percentile, report, round } from './stats.ts';
import { person } from './people.ts';
import { declareProvider, post } from './api.ts';

/**
 * End to end through the cleansing service: records already on a raw topic until their rows and
 * history are committed in Postgres (records per second), and single records from produce until
 * landed (p50/p99), beside a bare batched upsert of the same rows measured in the same run.
 */
export async function benchCleansingEndToEnd(
  env: BenchEnvironment,
  { records = 20_000, samples = 100, bareUpsertRate }: { records?: number; samples?: number; bareUpsertRate: (rows: number) => Promise<number> },
): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const authority = await env.app.principals.create({ name: `bench-cl-authority-${suffix}`, role: 'authority' });
  const { credentials: dept } = (await post(env, '/departments', authority.token, { name: `bench-cl-${suffix}`, displayName: `基准测试公安 ${suffix}` })) as {
    credentials: PrincipalCredentials;
  };
  await declareProvider(env, {
    authorityToken: authority.token,
    deptToken: dept.token,
    body: { dataset: 'base.natural_person', authoritativeFields: ['name', 'gender', 'birth_date'] },
  });

  const send = (batch: Record<string, unknown>[]) => post(env, '/datasets/base.natural_person/records', dept.token, { records: batch });
  const history = `${quoteIdent(`${env.config.cleansing.schemaPrefix}base`)}.natural_person_history`;
  const landed = async () =>
    Number((await env.app.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${history}`).catch(() => ({ rows: [{ n: '0' }] }))).rows[0]?.n ?? 0);
  const worker = await startCleansingWorkers(env.app, { config: env.config, log: env.log, groupId: `bench-cleansing-${suffix}` });
  // Steady state: the group has joined and the tables exist before the clock starts.
  const warmup = 500;
  await send(Array.from({ length: warmup }, (_, k) => person(k)));
  while ((await landed()) < warmup) await new Promise((r) => setTimeout(r, 50));

  const started = performance.now();
  for (let i = warmup; i < warmup + records; i += 2000) {
    await Promise.all(
      Array.from({ length: 4 }, (_, j) => i + j * 500)
        .filter((s) => s < warmup + records)
        .map((s) => send(Array.from({ length: Math.min(500, warmup + records - s) }, (_, k) => person(s + k)))),
    );
  }
  while ((await landed()) < warmup + records) await new Promise((r) => setTimeout(r, 20));
  const rate = records / ((performance.now() - started) / 1000);

  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const record = person(warmup + records + i);
    const t0 = performance.now();
    await send([record]);
    for (;;) {
      const { rowCount } = await env.app.db.query(`SELECT 1 FROM ${history} WHERE _key = $1`, [record.id_number]);
      if (rowCount) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    latencies.push(performance.now() - t0);
  }
  await worker.stop();

  const bare = await bareUpsertRate(records);
  report({
    bench: 'cleansing.end_to_end',
    records,
    records_per_sec: round(rate),
    what: 'HTTP ingest to the raw topic, then to committed current rows + history (decode, normalize, validate, dedup, merge, land, outbox; transactions of 500, 3 partitions in parallel), steady state',
    latency_samples: samples,
    latency_p50_ms: round(percentile(latencies, 50), 1),
    latency_p99_ms: round(percentile(latencies, 99), 1),
    latency_what: 'HTTP produce (acks=all) until the history row is visible (polled every 5 ms)',
    baseline: 'bare batched multi-row upsert of the same number of rows into Postgres (batches of 500, no history)',
    baseline_records_per_sec: round(bare),
    ratio: round(rate / bare, 3),
  });
}
