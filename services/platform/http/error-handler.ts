import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError, errorCatalog, isHubError, type ErrorCode } from '../errors.ts';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
  details?: unknown;
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'HUB_ERR_UNSUPPORTED_MEDIA',
  FST_ERR_CTP_BODY_TOO_LARGE: 'HUB_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'HUB_ERR_VALIDATION',
  FST_ERR_CTP_INVALID_JSON_BODY: 'HUB_ERR_VALIDATION',
  FST_ERR_VALIDATION: 'HUB_ERR_VALIDATION',
};

/** Any thrown value as a HubError: client mistakes keep their 4xx, the unknown becomes a 500. */
export function toHubError(err: unknown): HubError {
  if (isHubError(err)) return err;
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  if (fe.validation) return new HubError('HUB_ERR_VALIDATION', fe.message ?? 'invalid request', { details: fe.validation });
  const mapped = fe.code ? fastifyCodes[fe.code] : undefined;
  if (mapped) return new HubError(mapped, fe.message ?? errorCatalog[mapped].title);
  if (fe instanceof SyntaxError || (typeof fe.statusCode === 'number' && fe.statusCode === 400)) {
    return new HubError('HUB_ERR_VALIDATION', `malformed request: ${fe.message}`);
  }
  // Postgres refuses NUL (and other characters outside UTF-8) in text: bad input, not a fault of the hub.
  if ((err as { code?: unknown }).code === '22021' || (err as { code?: unknown }).code === '22P05') {
    return new HubError('HUB_ERR_VALIDATION', 'the request holds a character text cannot hold (such as \u0000)');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code = (Object.keys(errorCatalog) as ErrorCode[]).find((c) => errorCatalog[c].status === fe.statusCode) ?? 'HUB_ERR_VALIDATION';
    return new HubError(code, fe.message ?? errorCatalog[code].title);
  }
  return new HubError('HUB_ERR_INTERNAL', 'internal error; the hub logged the cause', { cause: err });
}

export function sendError(reply: FastifyReply, err: HubError): FastifyReply {
  const body: ErrorBody = { statusCode: err.status, code: err.code, error: errorCatalog[err.code].title, message: err.message };
  if (err.details !== undefined) body.details = err.details;
  // A limiter that knows how long its window lasts has said so already.
  if (err.retryable && !reply.hasHeader('retry-after')) reply.header('retry-after', err.status === 429 ? '1' : '5');
  return reply.code(err.status).type('application/json').send(body);
}

/** The one mapping from errors to HTTP for the hub's API. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const hubErr = toHubError(err);
    if (hubErr.status >= 500) request.log.error({ err, code: hubErr.code }, hubErr.message);
    else request.log.info({ code: hubErr.code, reason: hubErr.message }, 'request refused');
    return sendError(reply, hubErr);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new HubError('HUB_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));
}
