import type { FieldError } from '../contract/coerce.ts';

export type FileFormat = 'csv' | 'ndjson';

/** One row of an uploaded file: a record to check, or a line that could not even be read as one. */
export type FileRow = { line: number; record: Record<string, unknown>; errors?: undefined } | { line: number; record?: undefined; errors: FieldError[] };

/** The rows of one uploaded file, read as the consumer asks for them (the upload is never held whole). */
export interface RowSource {
  readonly format: FileFormat;
  /** CSV values are text; NDJSON keeps its JSON types. */
  readonly text: boolean;
  /** Throws a HubError on a problem with the file as a whole (bad header, broken quoting). */
  rows(): AsyncGenerator<FileRow>;
  /** The file line after the last row handed out: where a resend would start. */
  nextLine(): number;
  /** The last file line read. */
  lines(): number;
}

/**
 * Where the body's lines sit in the original file: a resumed upload (`?fromLine=`) sends only the
 * rest of the file (and, for CSV, the header), yet its rows are reported with their original lines.
 */
export interface LineOrigin {
  /** The file line of the body's first data line: 2 for a whole CSV file, 1 for NDJSON. */
  firstDataLine: number;
}

/** Files are limited per record so that one runaway quote or line cannot exhaust memory. */
export const maxRecordBytes = 1024 * 1024;
