import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import type { BenchEnvironment } from './environment.ts';
import { declareBenchDataset, ratingColumns, ratingCsvLine } from './ingest-dataset.ts';
import { report, round } from './stats.ts';
import { uploadFile } from '../../services/cli/import-command.ts';

const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** Writes the file a piece at a time, waiting for the disk, so that generating it takes no memory either. */
async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${ratingColumns}\n`);
  for (let i = 0; i < rows; i += 1000) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(rows, i + 1000); j++) lines.push(ratingCsvLine(j));
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * File import of a large CSV through POST /datasets/:dataset/files, streamed from disk as `hub
 * import` does: rows per second and the bench process's peak RSS (the hub runs in it) sampled every
 * 100 ms, beside csv-parse alone reading the same file with the same options.
 */
export async function benchFileImport(env: BenchEnvironment, { rows = 1_000_000 } = {}): Promise<void> {
  const { department, entry } = await declareBenchDataset(env, 'bench-file');
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-file-'));
  const file = join(dir, 'ratings.csv');
  try {
    await writeCsv(file, rows);
    const { size } = await stat(file);

    let parsed = 0;
    const parseStarted = performance.now();
    const parser = createReadStream(file).pipe(parse({ bom: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }));
    for await (const _record of parser) parsed++;
    const parseRate = (parsed - 1) / ((performance.now() - parseStarted) / 1000);

    const baselineRss = process.memoryUsage().rss;
    let peakRss = baselineRss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 100);
    const started = performance.now();
    let outcome: Awaited<ReturnType<typeof uploadFile>>;
    try {
      outcome = await uploadFile({ url: env.url, token: department.token, dataset: entry.dataset, file, format: 'csv' });
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    if (!outcome.ok) throw new Error(`file import answered ${outcome.status}: ${outcome.error.message}`);
    if (outcome.result.accepted !== rows) throw new Error(`file import accepted ${outcome.result.accepted} of ${rows} rows`);
    const rate = rows / seconds;
    report({
      bench: 'ingest.file_import',
      format: 'csv',
      rows,
      file_mb: mb(size),
      seconds: round(seconds, 1),
      rows_per_sec: round(rate),
      peak_rss_mb: mb(peakRss),
      baseline_rss_mb: mb(baselineRss),
      rss_growth_mb: mb(peakRss - baselineRss),
      baseline: 'csv-parse alone reading the same file with the same options, no checks and no publish',
      baseline_rows_per_sec: round(parseRate),
      ratio: round(rate / parseRate, 3),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
