import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { HubError, errorMessage } from '../platform/errors.ts';
import type { IngestService } from './service.ts';
import type { FileFormat, RowSource } from './file-rows.ts';
import { csvRows } from './file-csv.ts';
import { ndjsonRows } from './file-ndjson.ts';
import { importRows, type FileImportResult } from './file-import.ts';
import type { AuditEvent } from '../audit/log.ts';

interface Params {
  dataset: string;
}

interface Query {
  fromLine?: number;
}

export interface FileRoutesOptions {
  ingest: IngestService;
  /** Largest upload in bytes (HUB_FILE_MAX_BYTES). */
  maxBytes: number;
  /** Writes each import (who, dataset, counts) to the audit trail. */
  record?: (event: AuditEvent) => Promise<unknown>;
  /** Rows per publish (HUB_FILE_BATCH). */
  batchSize: number;
}

const formats: Readonly<Record<string, FileFormat>> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' };

/** Character sets a department's export comes in: UTF-8, or the national GB 18030 (GBK and GB 2312 are subsets). */
const charsets: Readonly<Record<string, string>> = { 'utf-8': 'utf-8', utf8: 'utf-8', gb18030: 'gb18030', gbk: 'gb18030', gb2312: 'gb18030' };

function formatOf(contentType: string | undefined): { format: FileFormat; charset: string } {
  const [type = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  const format = formats[type];
  if (!format) throw new HubError('HUB_ERR_UNSUPPORTED_MEDIA', `send the file itself as the body, with Content-Type ${Object.keys(formats).join(' or ')}`);
  const declared =
    params
      .find((p) => p.startsWith('charset='))
      ?.slice('charset='.length)
      .replace(/"/g, '') ?? 'utf-8';
  const charset = charsets[declared];
  if (!charset) {
    throw new HubError(
      'HUB_ERR_UNSUPPORTED_MEDIA',
      `files come as UTF-8 or GB18030 (charset=utf-8 or charset=gb18030), not ${declared}: convert it first, e.g. iconv -f ${declared.toUpperCase()} -t UTF-8`,
    );
  }
  return { format, charset };
}

/**
 * The body decoded from its declared charset and handed on as UTF-8. Bytes that are not valid in
 * that charset are refused with their line, never turned into U+FFFD: a GBK export sent as UTF-8
 * would otherwise land as mojibake.
 */
async function* decoded(body: AsyncIterable<Buffer>, charset: string, fileLine: (bodyLine: number) => number): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder(charset, { fatal: true });
  let line = 1;
  const lines = (text: string) => {
    let n = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
    return n;
  };
  const refuse = (chunk: Buffer): never => {
    const lenient = new TextDecoder(charset).decode(chunk);
    const at = fileLine(line + lines(lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD')))));
    const hint = charset === 'utf-8' ? ' (a GBK or GB18030 export? declare it: Content-Type text/csv; charset=gb18030, or hub import --encoding gb18030)' : '';
    throw new HubError('HUB_ERR_UNPROCESSABLE', `line ${at}: bytes that are not valid ${charset.toUpperCase()}${hint}`, { details: { line: at, charset } });
  };
  for await (const chunk of body) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      refuse(chunk);
      return;
    }
    line += lines(text);
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  try {
    const rest = decoder.decode();
    if (rest.length > 0) yield Buffer.from(rest, 'utf8');
  } catch {
    refuse(Buffer.alloc(0));
  }
}

/** The body as it arrives, refused once it passes the limit (a chunked upload announces no length). */
async function* limited(body: Readable, maxBytes: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  // Not destroyed on an early stop: the socket must stay up for the answer.
  const chunks = body.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer>;
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        throw new HubError('HUB_ERR_VALIDATION', `the upload was cut off after ${bytes} bytes (${errorMessage(err)})`, { cause: err });
      }
      if (next.done) return;
      const chunk = next.value;
      const room = maxBytes - bytes;
      bytes += chunk.length;
      if (bytes > maxBytes) {
        // The rows wholly within the limit still go through, so the error can say where the rest starts.
        if (room > 0) yield chunk.subarray(0, room);
        throw new HubError('HUB_ERR_PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes (HUB_FILE_MAX_BYTES): split it`);
      }
      yield chunk;
    }
  } finally {
    await chunks.return?.();
  }
}

/**
 * File ingest: a department uploads a CSV or NDJSON file of one of its datasets. The body is read
 * as it arrives, in batches published with acks=all before more is read, so a file of any size
 * takes constant memory; every rejected row is reported with its line number.
 */
export async function fileRoutes(app: FastifyInstance, { ingest, maxBytes, batchSize, record }: FileRoutesOptions): Promise<void> {
  // Every body is handed through unread: the import reads it at the pace Kafka takes the rows, and
  // the route refuses a type other than CSV or NDJSON with a useful message.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', async (_request: unknown, payload: IncomingMessage) => payload);

  app.post<{ Params: Params; Querystring: Query }>(
    '/datasets/:dataset/files',
    {
      config: { roles: ['department'] },
      bodyLimit: maxBytes,
      schema: {
        tags: ['ingest'],
        summary: 'Upload a CSV (header line of field names) or NDJSON file of a dataset the calling department declared',
        description:
          'The body is the file itself (Content-Type text/csv or application/x-ndjson, UTF-8). Rows are published in batches as the upload arrives; ' +
          'rejected rows are listed with their line number (the first 1000). On a failure part way, the error details say how many rows were accepted and `resumeFromLine`: ' +
          'send the rest (for CSV with its header) with `?fromLine=` so that lines keep their numbers.',
        params: { type: 'object', properties: { dataset: { type: 'string', maxLength: 120 } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            fromLine: { type: 'integer', minimum: 1, maximum: 1_000_000_000, description: 'the file line of the first data line sent (resuming an upload)' },
          },
        },
      },
    },
    async (request) => {
      const payload = request.body;
      try {
        const { format, charset } = formatOf(request.headers['content-type']);
        if (!(payload instanceof Readable))
          throw new HubError('HUB_ERR_UNSUPPORTED_MEDIA', `send the file itself as the body, with Content-Type ${Object.keys(formats).join(' or ')}`);
        const length = Number(request.headers['content-length']);
        if (length > maxBytes) throw new HubError('HUB_ERR_PAYLOAD_TOO_LARGE', `the file is larger than ${maxBytes} bytes (HUB_FILE_MAX_BYTES): split it`);
        const { fromLine } = request.query;
        if (format === 'csv' && fromLine === 1) throw new HubError('HUB_ERR_VALIDATION', 'line 1 of a CSV file is its header: fromLine must be 2 or more');
        const resolved = await ingest.resolve(request.principal!.name, request.params.dataset);
        // Line numbers as in the whole file: a resumed CSV upload is its header, then the file from fromLine.
        const first = fromLine ?? (format === 'csv' ? 2 : 1);
        const fileLine = format === 'csv' ? (n: number) => (n <= 1 ? n : n - 2 + first) : (n: number) => n - 1 + first;
        const body = decoded(limited(payload, maxBytes), charset, fileLine);
        const source: RowSource =
          format === 'csv'
            ? csvRows(body, { dataset: request.params.dataset, coercer: resolved.coercer, firstDataLine: fromLine ?? 2 })
            : ndjsonRows(body, { firstDataLine: fromLine ?? 1 });
        const started = performance.now();
        const result: FileImportResult = await importRows({ ingest, resolved, source, batchSize });
        request.log.info(
          {
            dataset: result.dataset,
            format,
            lines: result.lines,
            accepted: result.accepted,
            rejected: result.rejectedCount,
            ms: Math.round(performance.now() - started),
          },
          'file imported',
        );
        if (result.accepted === 0) {
          const message =
            result.rejectedCount === 0
              ? 'the file holds no rows'
              : `none of the ${result.rejectedCount} rows of the file matches the schema of ${result.dataset}`;
          throw new HubError('HUB_ERR_UNPROCESSABLE', message, { details: result });
        }
        await record?.({
          actor: request.principal!.name,
          actorRole: request.principal!.role,
          action: 'ingest.file',
          method: 'file',
          subjectProvider: request.principal!.name,
          datasets: [result.dataset],
          detail: { format, charset, lines: result.lines, accepted: result.accepted, rejected: result.rejectedCount, fromLine: fromLine ?? null },
        });
        return result;
      } catch (err) {
        // The rest of the upload is read and dropped: closing the connection instead could reset it
        // before the client has read the answer.
        if (payload instanceof Readable && !payload.readableEnded && !payload.destroyed) payload.resume();
        throw err;
      }
    },
  );
}
