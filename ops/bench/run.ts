import { startBenchEnvironment } from './environment.ts';
import { benchRegistryLookups } from './registry-lookups.ts';
import { benchProduceConsumeLatency } from './produce-consume-latency.ts';
import { benchHttpIngest } from './ingest-http.ts';
import { benchFileImport } from './ingest-file.ts';
import { errorMessage } from '../../services/platform/errors.ts';

/** `npm run bench`: JSON lines on stdout, each with its baseline measured in the same run. */
async function main(): Promise<void> {
  const env = await startBenchEnvironment(process.env);
  try {
    await benchRegistryLookups(env);
    await benchProduceConsumeLatency(env);
    await benchHttpIngest(env);
    await benchFileImport(env);
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
