import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { basename, extname } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig, type Env } from '../platform/config.ts';
import { HubError, errorCatalog, errorMessage, type ErrorCode } from '../platform/errors.ts';
import type { FileFormat } from '../ingest/file-rows.ts';
import type { FileImportResult } from '../ingest/file-import.ts';

const usage = 'usage: hub import <dataset> <file> [--format csv|ndjson] [--encoding utf-8|gb18030] [--url URL] [--token TOKEN] [--from-line N] [--json]';

const contentTypes: Record<FileFormat, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson' };
const extensions: Record<string, FileFormat> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson' };

export interface UploadProgress {
  /** Bytes of the file read and handed to the connection. */
  sentBytes: number;
  totalBytes: number;
  /** Line breaks sent: the rows, near enough. */
  rows: number;
  elapsedMs: number;
}

export interface UploadOptions {
  /** The hub's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  token: string;
  dataset: string;
  file: string;
  format: FileFormat;
  /** Resume: send (the CSV header and) the file from this line on; the hub numbers lines as in the whole file. */
  fromLine?: number;
  /** The file's character set: utf-8 (default) or gb18030 (GBK and GB 2312 exports). */
  encoding?: string;
  onProgress?: (progress: UploadProgress) => void;
}

export interface HubErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
}

export type UploadOutcome = { ok: true; result: FileImportResult } | { ok: false; status: number; error: HubErrorBody };

const newline = 0x0a;

function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(newline); i !== -1; i = chunk.indexOf(newline, i + 1)) n++;
  return n;
}

/** Drops the lines before `from` (keeping a CSV file's header line). */
function skipLines(from: number, keepHeader: boolean): Transform {
  let line = 1;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (line >= from) return done(null, chunk);
      const kept: Buffer[] = [];
      let pos = 0;
      while (pos < chunk.length && line < from) {
        const nl = chunk.indexOf(newline, pos);
        const end = nl === -1 ? chunk.length : nl + 1;
        if (keepHeader && line === 1) kept.push(chunk.subarray(pos, end));
        pos = end;
        if (nl !== -1) line++;
      }
      if (pos < chunk.length) kept.push(chunk.subarray(pos));
      done(null, kept.length > 0 ? Buffer.concat(kept) : undefined);
    },
  });
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('aborted', () => reject(new Error('the connection closed before the whole answer arrived')));
    res.on('error', reject);
  });
}

/**
 * Streams a file from disk to POST /api/v1/datasets/:dataset/files and returns the hub's answer.
 * The file is never held in memory: the hub reads the upload at the pace Kafka takes the rows.
 */
export async function uploadFile({ url, token, dataset, file, format, fromLine, encoding = 'utf-8', onProgress }: UploadOptions): Promise<UploadOutcome> {
  let totalBytes: number;
  try {
    totalBytes = (await stat(file)).size;
  } catch (err) {
    throw new HubError('HUB_ERR_NOT_FOUND', `cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
  const target = new URL(`api/v1/datasets/${encodeURIComponent(dataset)}/files`, url.endsWith('/') ? url : `${url}/`);
  const resuming = fromLine !== undefined && fromLine > 1;
  if (resuming) target.searchParams.set('fromLine', String(fromLine));
  const headers: Record<string, string | number> = {
    authorization: `Bearer ${token}`,
    'content-type': `${contentTypes[format]}; charset=${encoding}`,
    accept: 'application/json',
  };
  if (!resuming) headers['content-length'] = totalBytes;
  const https = target.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  // Keep-alive: asked to close, the hub would drop the connection right after an early answer (a
  // refused header) and the upload still in flight could reset it before the answer is read.
  const agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const started = performance.now();
  let sentBytes = 0;
  let rows = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sentBytes += chunk.length;
      rows += countNewlines(chunk);
      onProgress?.({ sentBytes, totalBytes, rows, elapsedMs: performance.now() - started });
      done(null, chunk);
    },
  });

  const outcome = new Promise<UploadOutcome>((resolve, reject) => {
    let answered = false;
    const req = send(target, { method: 'POST', headers, agent });
    const source = createReadStream(file);
    const last: Readable = resuming ? source.pipe(meter).pipe(skipLines(fromLine, format === 'csv')) : source.pipe(meter);
    const fail = (err: unknown) => {
      if (answered) return;
      answered = true;
      source.destroy();
      req.destroy();
      reject(err);
    };
    source.on('error', (err) => fail(new HubError('HUB_ERR_NOT_FOUND', `cannot read ${file}: ${errorMessage(err)}`, { cause: err })));
    req.on('error', (err) =>
      fail(new HubError('HUB_ERR_CONFIG', `cannot reach the hub at ${url} (${errorMessage(err)}): start it, or point --url or HUB_URL at it`, { cause: err })),
    );
    req.on('response', (res) => {
      answered = true;
      // An early answer (a refused header, a failure) ends the upload: stop sending the rest.
      last.unpipe(req);
      source.destroy();
      readBody(res).then(
        (text) => {
          req.destroy();
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            reject(new HubError('HUB_ERR_INTERNAL', `the hub answered ${res.statusCode} with something that is not JSON: ${text.slice(0, 200)}`));
            return;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ ok: true, result: body as FileImportResult });
          else resolve({ ok: false, status, error: body as HubErrorBody });
        },
        (err: unknown) => {
          req.destroy();
          reject(new HubError('HUB_ERR_INTERNAL', `the hub did not finish its answer: ${errorMessage(err)}`, { cause: err }));
        },
      );
    });
    last.pipe(req);
  });
  return outcome.finally(() => agent.destroy());
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** A bar redrawn in place on a terminal; elsewhere (logs, CI) one line per tenth of the file. */
export function progressPrinter(err: Writable & { isTTY?: boolean }, label: string): { update(p: UploadProgress): void; finish(): void } {
  let lastDraw = 0;
  let lastTenth = 0;
  let latest: UploadProgress | null = null;
  const describe = (p: UploadProgress) => {
    const percent = p.totalBytes === 0 ? 100 : Math.floor((p.sentBytes / p.totalBytes) * 100);
    const rate = p.elapsedMs > 0 ? Math.round(p.rows / (p.elapsedMs / 1000)) : 0;
    return { percent, text: `${String(percent).padStart(3)}%  ${mib(p.sentBytes)}/${mib(p.totalBytes)} MiB  ~${rate.toLocaleString('en-US')} rows/s` };
  };
  const draw = (p: UploadProgress) => {
    const { percent, text } = describe(p);
    const width = 24;
    const filled = Math.round((percent / 100) * width);
    err.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}  `);
  };
  return {
    update(p) {
      latest = p;
      if (err.isTTY) {
        const now = performance.now();
        if (now - lastDraw >= 100) {
          lastDraw = now;
          draw(p);
        }
        return;
      }
      const { percent, text } = describe(p);
      const tenth = Math.floor(percent / 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        err.write(`${label}: ${text}\n`);
      }
    },
    finish() {
      if (err.isTTY && latest) {
        draw(latest);
        err.write('\n');
      }
    },
  };
}

function summary(result: FileImportResult, shown = 20): string {
  const lines = [
    `${result.dataset} (${result.format}, ${result.lines} lines) -> ${result.topic}: ${result.accepted} accepted, ${result.rejectedCount} rejected`,
  ];
  for (const r of result.rejected.slice(0, shown)) {
    lines.push(`  line ${r.line}: ${r.errors.map((e) => (e.field ? `${e.field}: ${e.reason}` : e.reason)).join('; ')}`);
  }
  if (result.rejectedCount > shown)
    lines.push(`  (${shown} of ${result.rejectedCount} rejected lines shown; --json lists the first ${result.rejected.length})`);
  return `${lines.join('\n')}\n`;
}

function formatOf(file: string, given: string | undefined): FileFormat {
  if (given !== undefined) {
    if (given === 'csv' || given === 'ndjson') return given;
    throw new HubError('HUB_ERR_VALIDATION', `--format must be csv or ndjson, got "${given}"`);
  }
  const byExtension = extensions[extname(file).toLowerCase()];
  if (!byExtension) throw new HubError('HUB_ERR_VALIDATION', `cannot tell the format of ${file} from its name: pass --format csv or --format ndjson`);
  return byExtension;
}

function parseImportArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      format: { type: 'string' },
      'from-line': { type: 'string' },
      encoding: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
}

export interface ImportCommand {
  /** The arguments after `import`. */
  args: string[];
  env: Env;
  out: Writable;
  err: Writable & { isTTY?: boolean };
}

/**
 * `hub import <dataset> <file>`: an HTTP client of the hub's file upload, streaming the file with a
 * progress bar on stderr. stdout gets a summary, or with --json the hub's JSON answer (also for a
 * refusal or failure, whose details say from which line to resume with --from-line).
 */
export async function runImportCommand({ args, env, out, err }: ImportCommand): Promise<void> {
  let parsed: ReturnType<typeof parseImportArgs>;
  try {
    parsed = parseImportArgs(args);
  } catch (e) {
    throw new HubError('HUB_ERR_VALIDATION', `${errorMessage(e)}; ${usage}`);
  }
  const { positionals, values } = parsed;
  const [dataset, file, ...extra] = positionals;
  if (!dataset || !file || extra.length > 0) throw new HubError('HUB_ERR_VALIDATION', usage);
  const format = formatOf(file, values.format);
  const fromText = values['from-line'];
  if (fromText !== undefined && !/^[1-9]\d*$/.test(fromText)) throw new HubError('HUB_ERR_VALIDATION', `--from-line must be a line number, got "${fromText}"`);
  const fromLine = fromText === undefined ? undefined : Number(fromText);
  if (format === 'csv' && fromLine === 1) throw new HubError('HUB_ERR_VALIDATION', '--from-line 1 would send the CSV header as a row: start at 2 or more');
  const config = loadConfig(env);
  const url = values.url ?? config.client.url;
  try {
    new URL(url);
  } catch {
    throw new HubError('HUB_ERR_VALIDATION', `--url is not a URL: "${url}"`);
  }
  const token = values.token ?? config.client.token;
  if (!token) throw new HubError('HUB_ERR_UNAUTHENTICATED', "no token: pass --token or set HUB_TOKEN to the department's API token");

  const progress = progressPrinter(err, `hub import ${basename(file)}`);
  let outcome: UploadOutcome;
  try {
    outcome = await uploadFile({
      url,
      token,
      dataset,
      file,
      format,
      onProgress: (p) => progress.update(p),
      ...(fromLine === undefined ? {} : { fromLine }),
      ...(values.encoding === undefined ? {} : { encoding: values.encoding }),
    });
  } finally {
    progress.finish();
  }
  if (outcome.ok) {
    out.write(values.json ? `${JSON.stringify(outcome.result)}\n` : summary(outcome.result));
    return;
  }
  const { error } = outcome;
  if (values.json) out.write(`${JSON.stringify(error)}\n`);
  // The command line was fine when the hub refuses the file, so this is not a usage error (exit 2).
  const code: ErrorCode = error.code in errorCatalog && error.code !== 'HUB_ERR_VALIDATION' ? (error.code as ErrorCode) : 'HUB_ERR_UNPROCESSABLE';
  throw new HubError(code, `the hub answered ${outcome.status}: ${error.message ?? 'no reason given'}`, { details: error.details });
}
