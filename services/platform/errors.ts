/** The hub's one catalog of error codes: HTTP status, and whether retrying the same call can help. */

export interface ErrorSpec {
  readonly status: number;
  readonly retryable: boolean;
  readonly title: string;
}

export const errorCatalog = {
  HUB_ERR_VALIDATION: { status: 400, retryable: false, title: 'the request is malformed' },
  HUB_ERR_UNAUTHENTICATED: { status: 401, retryable: false, title: 'credentials are missing or wrong' },
  HUB_ERR_FORBIDDEN: { status: 403, retryable: false, title: 'the caller may not do this' },
  HUB_ERR_NOT_FOUND: { status: 404, retryable: false, title: 'no such resource' },
  HUB_ERR_CONFLICT: { status: 409, retryable: false, title: 'the resource is in a conflicting state' },
  HUB_ERR_GONE: { status: 410, retryable: false, title: 'the resource was replaced' },
  HUB_ERR_PAYLOAD_TOO_LARGE: { status: 413, retryable: false, title: 'the request body is too large' },
  HUB_ERR_UNSUPPORTED_MEDIA: { status: 415, retryable: false, title: 'unsupported content type' },
  HUB_ERR_UNPROCESSABLE: { status: 422, retryable: false, title: 'the request breaks a rule' },
  HUB_ERR_RATE_LIMITED: { status: 429, retryable: true, title: 'too many requests' },
  HUB_ERR_KAFKA_UNAVAILABLE: { status: 503, retryable: true, title: 'Kafka is unreachable' },
  HUB_ERR_DB_UNAVAILABLE: { status: 503, retryable: true, title: 'Postgres is unreachable' },
  HUB_ERR_REDIS_UNAVAILABLE: { status: 503, retryable: true, title: 'Redis is unreachable' },
  HUB_ERR_REGISTRY_UNAVAILABLE: { status: 503, retryable: true, title: 'the schema registry is unreachable' },
  HUB_ERR_NOT_READY: { status: 503, retryable: true, title: 'the resource is being prepared' },
  HUB_ERR_TIMEOUT: { status: 504, retryable: true, title: 'a dependency did not answer in time' },
  HUB_ERR_CONFIG: { status: 500, retryable: false, title: 'the hub is misconfigured' },
  HUB_ERR_STARTUP: { status: 500, retryable: false, title: 'the hub could not start' },
  HUB_ERR_INTERNAL: { status: 500, retryable: false, title: 'internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalog;

export class HubError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.retryable = errorCatalog[code].retryable;
    this.details = options.details;
  }
}

export function isHubError(err: unknown): err is HubError {
  return err instanceof HubError;
}

/** Unknown errors are never retried: only the catalog says what is transient. */
export function isRetryable(err: unknown): boolean {
  return isHubError(err) && err.retryable;
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/** True for a socket-level failure (the server is not there), as opposed to a refusal by it. */
export function isNetworkError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return true;
    if (e instanceof AggregateError && e.errors.some(isNetworkError)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return errorMessage(err.errors[0]);
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}
