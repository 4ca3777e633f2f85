import { errorMessage } from '../platform/errors.ts';
import { maxRecordBytes, type FileRow, type LineOrigin, type RowSource } from './file-rows.ts';

const newline = 0x0a;

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * NDJSON: one JSON object per line, blank lines skipped. Lines are cut from the byte stream before
 * decoding, so a character split across chunks stays whole; a line longer than maxRecordBytes is
 * rejected and skipped without being held.
 */
export function ndjsonRows(body: AsyncIterable<Buffer>, { firstDataLine }: LineOrigin): RowSource {
  let bodyLine = 0;
  let next = firstDataLine;
  const fileLine = (n: number) => n - 1 + firstDataLine;

  function readLine(bytes: Buffer | null): FileRow | null {
    bodyLine++;
    const line = fileLine(bodyLine);
    next = line + 1;
    if (bytes === null) return { line, errors: [{ field: '', reason: `the line is longer than ${maxRecordBytes} bytes` }] };
    let text = bytes.toString('utf8');
    if (bodyLine === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { line, errors: [{ field: '', reason: `not valid JSON: ${errorMessage(err)}` }] };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { line, errors: [{ field: '', reason: `a line must hold one JSON object, got ${describe(value)}` }] };
    }
    return { line, record: value as Record<string, unknown> };
  }

  return {
    format: 'ndjson',
    text: false,
    nextLine: () => next,
    lines: () => (bodyLine === 0 ? 0 : fileLine(bodyLine)),
    async *rows() {
      let parts: Buffer[] = [];
      let size = 0;
      let oversize = false;
      const take = (tail: Buffer): Buffer | null => {
        if (oversize || size + tail.length > maxRecordBytes) return null;
        return parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
      };
      for await (const chunk of body) {
        let start = 0;
        for (let nl = chunk.indexOf(newline, start); nl !== -1; nl = chunk.indexOf(newline, start)) {
          const row = readLine(take(chunk.subarray(start, nl)));
          parts = [];
          size = 0;
          oversize = false;
          start = nl + 1;
          if (row) yield row;
        }
        if (start < chunk.length && !oversize) {
          const rest = chunk.subarray(start);
          size += rest.length;
          if (size > maxRecordBytes) {
            oversize = true;
            parts = [];
          } else {
            // A copy: the chunk's memory must not stay pinned by a short tail.
            parts.push(Buffer.from(rest));
          }
        }
      }
      if (size > 0 || oversize) {
        const row = readLine(oversize ? null : Buffer.concat(parts));
        if (row) yield row;
      }
    },
  };
}
