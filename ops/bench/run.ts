import { startBenchEnvironment } from './environment.ts';
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
import { errorMessage } from '../../services/platform/errors.ts';
import { readEnvironment } from '../../services/platform/config.ts';

/** `npm run bench`: JSON lines on stdout, each with its baseline measured in the same run. */
async function main(): Promise<void> {
  const env = await startBenchEnvironment(readEnvironment());
  try {
    await benchRegistryLookups(env);
    await benchProduceConsumeLatency(env);
    // Before the ingest benches: cleansing workers consume every raw topic in the catalog.
    await benchCleansingEndToEnd(env, { bareUpsertRate: (rows) => bareUpsertRate({ pool: env.app.db, rows, batch: 500 }) });
    await benchGrants(env);
    await benchVerification(env);
    await benchAuditAppends(env);
    await benchHttpIngest(env);
    await benchFileImport(env);
    await benchLandingScale({ pool: env.app.db, log: env.log });
  } finally {
    await env.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
