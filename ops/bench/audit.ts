import type { BenchEnvironment } from './environment.ts';
import { withTransaction } from '../../services/platform/db/pool.ts';
import { round, report, throughput } from './stats.ts';

/**
 * Audit appends per second from concurrent writers: group commit (an append on its own joins the
 * next group) beside one append per transaction (the same log, each in a transaction of its own), same run.
 */
export async function benchAuditAppends(
  env: BenchEnvironment,
  { appends = 3000, concurrency = 32 }: { appends?: number; concurrency?: number } = {},
): Promise<void> {
  const audit = env.app.audit;
  const event = (i: number) => ({ actor: 'bench', actorRole: 'service', action: 'bench.appended', method: 'bench', detail: { i } });
  await throughput(200, concurrency, (i) => audit.append(env.app.db, event(i)));
  const grouped = await throughput(appends, concurrency, (i) => audit.append(env.app.db, event(i)));
  const single = await throughput(appends, concurrency, (i) => withTransaction(env.app.db, (client) => audit.append(client, event(i))));
  const chain = await audit.verify();
  if (!chain.ok) throw new Error(`the audit chain broke under the bench: ${chain.problems[0]?.problem}`);
  report({
    bench: 'audit.appends_per_sec',
    appends,
    concurrency,
    appends_per_sec: round(grouped),
    what: 'AuditLog.append(pool, event) from concurrent writers: group commit (one lock, one INSERT, one commit per group)',
    baseline: 'the same appends, each in a transaction of its own (append(client, event) inside withTransaction)',
    baseline_appends_per_sec: round(single),
    ratio: round(grouped / single, 2),
    chain_verified_rows: chain.checked,
  });
}
