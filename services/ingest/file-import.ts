import { HubError, isHubError } from '../platform/errors.ts';
import type { FieldError } from '../contract/coerce.ts';
import type { IngestService, ResolvedTarget } from './service.ts';
import type { FileFormat, FileRow, RowSource } from './file-rows.ts';

export interface RejectedLine {
  line: number;
  errors: FieldError[];
}

export interface FileImportResult {
  dataset: string;
  topic: string;
  format: FileFormat;
  /** The last line read. */
  lines: number;
  accepted: number;
  rejectedCount: number;
  /** The first rejected lines, in line order; rejectedTruncated says whether there were more. */
  rejected: RejectedLine[];
  rejectedTruncated: boolean;
}

/** What a failed import had done: every line before resumeFromLine is accepted or listed as rejected. */
export interface FileImportProgress extends FileImportResult {
  resumeFromLine: number;
}

export interface ImportOptions {
  ingest: IngestService;
  resolved: ResolvedTarget;
  source: RowSource;
  /** Rows per publish; the next rows are read only once Kafka acknowledged the previous ones. */
  batchSize: number;
  maxListed?: number;
}

interface Segment {
  firstLine: number;
  rows: number;
  records: Record<string, unknown>[];
  recordLines: number[];
  unreadable: RejectedLine[];
}

const emptySegment = (): Segment => ({ firstLine: 0, rows: 0, records: [], recordLines: [], unreadable: [] });

/**
 * Streams a file's rows to the dataset's raw topic in batches, holding one batch at a time. Good
 * rows are published, bad ones reported by line. On a failure the error says what was accepted and
 * the line to resend from, because the rows before it are already on the topic.
 */
export async function importRows({ ingest, resolved, source, batchSize, maxListed = 1000 }: ImportOptions): Promise<FileImportResult> {
  let accepted = 0;
  let rejectedCount = 0;
  let seen = 0;
  const rejected: RejectedLine[] = [];
  let segment = emptySegment();

  const result = (lines: number): FileImportResult => ({
    dataset: resolved.target.dataset,
    topic: resolved.target.topic,
    format: source.format,
    lines,
    accepted,
    rejectedCount,
    rejected,
    rejectedTruncated: rejectedCount > rejected.length,
  });

  async function flush(): Promise<void> {
    if (segment.rows === 0) return;
    const { records, recordLines, unreadable } = segment;
    const outcome = records.length > 0 ? await ingest.ingest(resolved, records, 'file', { text: source.text }) : { accepted: 0, rejected: [] };
    const bad = [...unreadable, ...outcome.rejected.map((r) => ({ line: recordLines[r.index] as number, errors: r.errors }))].sort((a, b) => a.line - b.line);
    for (const r of bad) if (rejected.length < maxListed) rejected.push(r);
    rejectedCount += bad.length;
    accepted += outcome.accepted;
    segment = emptySegment();
  }

  function failure(err: unknown, resumeFromLine: number, published: boolean): unknown {
    // Nothing was read: the upload can simply be sent again once fixed.
    if (seen === 0) return err;
    const cause = isHubError(err) ? err : new HubError('HUB_ERR_INTERNAL', 'internal error; the hub logged the cause', { cause: err });
    const progress: FileImportProgress = { ...result(resumeFromLine - 1), resumeFromLine };
    const partly = published ? '' : ' (rows from there on may be written in part)';
    return new HubError(
      cause.code,
      `${cause.message}; ${accepted} rows before line ${resumeFromLine} were accepted${partly}: resend from line ${resumeFromLine} (hub import --from-line ${resumeFromLine})`,
      {
        cause: err,
        details: cause.details === undefined ? progress : { ...progress, cause: cause.details },
      },
    );
  }

  const rows = source.rows();
  let unreadable: unknown = null;
  try {
    for (;;) {
      let next: IteratorResult<FileRow>;
      try {
        next = await rows.next();
      } catch (err) {
        unreadable = err;
        break;
      }
      if (next.done) break;
      const row = next.value;
      seen++;
      if (segment.rows === 0) segment.firstLine = row.line;
      segment.rows++;
      if (row.errors) segment.unreadable.push({ line: row.line, errors: row.errors });
      else {
        segment.records.push(row.record);
        segment.recordLines.push(row.line);
      }
      if (segment.rows >= batchSize) await flush();
    }
    // The rows before a broken spot are whole: they go through, and the error names the spot.
    await flush();
  } catch (err) {
    await rows.return(undefined).catch(() => undefined);
    throw failure(err, segment.firstLine, false);
  }
  if (unreadable !== null) throw failure(unreadable, source.nextLine(), true);
  return result(source.lines());
}
