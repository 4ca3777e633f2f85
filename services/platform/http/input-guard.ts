import type { FastifyInstance } from 'fastify';
import { HubError } from '../errors.ts';

/** C0 controls and DEL, except tab, line feed and carriage return: no text field of the hub holds them (Postgres refuses NUL). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this does
const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** How deep a request's JSON may nest: every document of the hub is a few levels deep. */
const maxDepth = 32;

const describe = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** The first problem in a request value, as `where: what`, or null. Keys are checked like values. */
export function inputProblem(value: unknown, where: string, depth = 0): string | null {
  if (typeof value === 'string') {
    const m = control.exec(value);
    return m ? `${where} holds the control character ${describe(m[0])}, which no field of the hub accepts` : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= maxDepth) return `${where} nests deeper than ${maxDepth} levels`;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const p = inputProblem(v, `${where}[${i}]`, depth + 1);
      if (p) return p;
    }
    return null;
  }
  if (Buffer.isBuffer(value) || typeof (value as { pipe?: unknown }).pipe === 'function') return null;
  for (const [k, v] of Object.entries(value)) {
    const m = control.exec(k);
    if (m) return `a key of ${where} holds the control character ${describe(m[0])}`;
    const p = inputProblem(v, `${where}.${k}`, depth + 1);
    if (p) return p;
  }
  return null;
}

/**
 * Refuses, before validation, a request whose path parameters, query or JSON body hold a control
 * character (tab, CR and LF aside) or nest absurdly deep: a 400 naming the field, never a 500 from
 * the database or a stack overflow further in.
 */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const problem =
      inputProblem(request.params, 'path') ??
      inputProblem(request.query, 'query') ??
      (typeof request.body === 'object' ? inputProblem(request.body, 'body') : null);
    if (problem) throw new HubError('HUB_ERR_VALIDATION', problem);
  });
}
