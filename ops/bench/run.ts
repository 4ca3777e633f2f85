import { type BenchEnvironment, startBenchEnvironment } from './environment.ts';
import { benchRegistryLookups } from './registry-lookups.ts';
import { benchProduceConsumeLatency } from './produce-consume-latency.ts';
import { benchHttpIngest } from './ingest-http.ts';
import { benchFileImport } from './ingest-file.ts';
import { benchCleansingEndToEnd } from './cleansing-e2e.ts';
import { bareUpsertRate } from './landing-bare-upsert.ts';
import { benchLandingScale } from './landing-scale.ts';
import { benchVerification } from './verification.ts';
import { benchGrants } from './grants.ts';
import { benchAuditAppends } from './audit.ts';
import { benchAlertQueue } from './alert-queue.ts';
import { benchOpenDownload } from './open-download.ts';
import { errorMessage } from '../../services/platform/errors.ts';
import { readEnvironment } from '../../services/platform/config.ts';

/** Every bench by name, in the order `npm run bench` runs them. */
const benches: readonly (readonly [string, (env: BenchEnvironment) => Promise<void>])[] = [
  ['registry-lookups', (env) => benchRegistryLookups(env)],
  ['produce-consume-latency', (env) => benchProduceConsumeLatency(env)],
  // Before the ingest benches: cleansing workers consume every raw topic in the catalog.
  ['cleansing-e2e', (env) => benchCleansingEndToEnd(env, { bareUpsertRate: (rows) => bareUpsertRate({ pool: env.app.db, rows, batch: 500 }) })],
  ['grants', (env) => benchGrants(env)],
  ['verification', (env) => benchVerification(env)],
  ['audit', (env) => benchAuditAppends(env)],
  ['alert-queue', (env) => benchAlertQueue(env)],
  ['ingest-http', (env) => benchHttpIngest(env)],
  ['ingest-file', (env) => benchFileImport(env)],
  ['landing-scale', (env) => benchLandingScale({ pool: env.app.db, log: env.log })],
  ['open-download', (env) => benchOpenDownload(env)],
];

/**
 * `npm run bench`: JSON lines on stdout, each with its baseline measured in the same run.
 * `npm run bench -- alert-queue grants` runs only the benches named, in the order above.
 */
async function main(names: readonly string[]): Promise<void> {
  const unknown = names.filter((n) => !benches.some(([name]) => name === n));
  if (unknown.length > 0) throw new Error(`no bench named ${unknown.join(', ')}; the benches are ${benches.map(([name]) => name).join(', ')}`);
  const selected = names.length === 0 ? benches : benches.filter(([name]) => names.includes(name));
  const env = await startBenchEnvironment(readEnvironment());
  try {
    for (const [, run] of selected) await run(env);
  } finally {
    await env.close();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
