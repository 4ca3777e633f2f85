import { CsvError, Parser } from 'csv-parse';
import { HubError } from '../platform/errors.ts';
import type { RecordCoercer } from '../contract/coerce.ts';
import { maxRecordBytes, type FileRow, type LineOrigin, type RowSource } from './file-rows.ts';

export interface CsvOptions extends LineOrigin {
  dataset: string;
  coercer: RecordCoercer;
}

/** Fields a record cannot do without: neither nullable nor defaulted. */
function requiredFields(coercer: RecordCoercer): string[] {
  const empty = coercer.coerce({}, { text: true });
  return empty.ok ? [] : empty.errors.map((e) => e.field);
}

function countNewlines(values: readonly string[]): number {
  let n = 0;
  for (const v of values) for (let i = v.indexOf('\n'); i !== -1; i = v.indexOf('\n', i + 1)) n++;
  return n;
}

const isBlank = (values: readonly string[]) => values.every((v) => v.trim() === '');

function checkHeader(columns: string[], { dataset, coercer }: CsvOptions): void {
  const known = new Set(coercer.fieldNames);
  const fields = coercer.fieldNames.join(', ');
  const unnamed = columns.indexOf('');
  if (unnamed !== -1)
    throw new HubError(
      'HUB_ERR_VALIDATION',
      `column ${unnamed + 1} of the CSV header (line 1) has no name: the header names the fields of ${dataset} (${fields})`,
    );
  const unknown = columns.filter((c) => !known.has(c));
  if (unknown.length > 0) {
    throw new HubError(
      'HUB_ERR_VALIDATION',
      `the CSV header (line 1) names ${unknown.length === 1 ? 'a column' : 'columns'} ${unknown.map((c) => `"${c}"`).join(', ')} that ${dataset} does not have; its fields are ${fields}`,
      {
        details: { unknownColumns: unknown, fields: coercer.fieldNames },
      },
    );
  }
  const twice = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (twice.length > 0)
    throw new HubError('HUB_ERR_VALIDATION', `the CSV header (line 1) names ${[...new Set(twice)].map((c) => `"${c}"`).join(', ')} more than once`);
  const missing = requiredFields(coercer).filter((f) => !columns.includes(f));
  if (missing.length > 0) {
    throw new HubError(
      'HUB_ERR_VALIDATION',
      `the CSV header (line 1) lacks the required ${missing.length === 1 ? 'field' : 'fields'} ${missing.map((c) => `"${c}"`).join(', ')} of ${dataset}`,
      { details: { missingColumns: missing } },
    );
  }
}

function describeCsvError(err: unknown): string {
  if (err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted field that starts here is never closed';
  if (err instanceof CsvError && err.code === 'CSV_MAX_RECORD_SIZE')
    return `a record that starts here is longer than ${maxRecordBytes} bytes: is a closing quote missing?`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * CSV with a header line naming dataset fields (UTF-8, optional BOM, RFC 4180 quoting, relaxed
 * about stray quotes inside fields). Records are taken from csv-parse as it emits them, so the rows
 * before a broken record are handed out before the error; line numbers are counted here, from the
 * blank lines csv-parse skips and the line breaks inside quoted fields, because its own counter
 * counts "\r\n" inside quotes twice.
 */
export function csvRows(body: AsyncIterable<Buffer>, options: CsvOptions): RowSource {
  const { firstDataLine } = options;
  const fileLine = (bodyLine: number) => (bodyLine <= 1 ? bodyLine : bodyLine - 2 + firstDataLine);
  let lastEnd = 0;
  let lastEmpty = 0;
  let next = firstDataLine;

  return {
    format: 'csv',
    text: true,
    nextLine: () => next,
    lines: () => fileLine(lastEnd),
    async *rows() {
      const queue: { values: string[]; emptyLines: number }[] = [];
      const parser = new Parser({
        bom: true,
        relax_quotes: true,
        relax_column_count: true,
        skip_empty_lines: true,
        max_record_size: maxRecordBytes,
        on_record: (values, info) => {
          queue.push({ values, emptyLines: info.empty_lines });
          return null;
        },
      });
      // Errors arrive through the write and end callbacks, after the records before them.
      parser.on('error', () => undefined);
      parser.resume();
      let header: string[] | null = null;

      function* drain(): Generator<FileRow> {
        for (const { values, emptyLines } of queue.splice(0)) {
          const start = lastEnd + 1 + (emptyLines - lastEmpty);
          lastEnd = start + countNewlines(values);
          lastEmpty = emptyLines;
          const last = values.length - 1;
          // "\r\n" endings in a file whose first line ended in "\n" leave a "\r" behind.
          if (last >= 0 && values[last]!.endsWith('\r')) values[last] = values[last]!.slice(0, -1);
          if (header === null) {
            header = values.map((c) => c.trim());
            checkHeader(header, options);
            continue;
          }
          const line = fileLine(start);
          next = fileLine(lastEnd) + 1;
          if (isBlank(values)) {
            yield { line, errors: [{ field: '', reason: 'the row is blank: every column is empty' }] };
            continue;
          }
          if (values.length !== header.length) {
            yield { line, errors: [{ field: '', reason: `expected ${header.length} columns as in the header, got ${values.length}` }] };
            continue;
          }
          const record: Record<string, unknown> = {};
          for (let i = 0; i < header.length; i++) record[header[i]!] = values[i];
          yield { line, record };
        }
      }

      function broken(err: unknown): HubError {
        const start = lastEnd + 1 + (parser.info.empty_lines - lastEmpty);
        if (header === null) return new HubError('HUB_ERR_VALIDATION', `the CSV header cannot be read: ${describeCsvError(err)}`, { cause: err });
        return new HubError('HUB_ERR_UNPROCESSABLE', `line ${fileLine(start)}: ${describeCsvError(err)}`, { cause: err, details: { line: fileLine(start) } });
      }

      for await (const chunk of body) {
        const err = await new Promise<Error | null | undefined>((resolve) => parser.write(chunk, (e) => resolve(e)));
        yield* drain();
        if (err) throw broken(err);
      }
      const ended = new Promise<Error | null>((resolve) => {
        parser.once('finish', () => resolve(null));
        parser.once('error', resolve);
      });
      parser.end();
      const err = await ended;
      yield* drain();
      if (err) throw broken(err);
      if (header === null)
        throw new HubError('HUB_ERR_VALIDATION', `the file is empty: a CSV file starts with a header line naming fields of ${options.dataset}`);
    },
  };
}
