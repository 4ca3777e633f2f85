import { errorMessage, isNetworkError } from '../platform/errors.ts';

/** An error the registry answers with, as Confluent does: `{"error_code": <int>, "message": "..."}`. */
export class RegistryError extends Error {
  readonly status: number;
  readonly errorCode: number;

  constructor(status: number, errorCode: number, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.status = status;
    this.errorCode = errorCode;
  }

  toJSON(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}

const compatibilityLevelHint = 'Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL and FULL_TRANSITIVE';

/** Confluent's error codes; messages follow Confluent's where clients or people may match on them. */
export const registryErrors = {
  badRequest: (message: string) => new RegistryError(400, 400, message),
  unauthenticated: (message: string) => new RegistryError(401, 40101, message),
  forbidden: (message: string) => new RegistryError(403, 40301, message),
  routeNotFound: (method: string, url: string) => new RegistryError(404, 404, `HTTP 404 Not Found: no registry endpoint ${method} ${url}`),
  subjectNotFound: (subject: string) => new RegistryError(404, 40401, `Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) => new RegistryError(404, 40402, `Version ${version} not found.`),
  schemaNotFound: (id?: number | string) => new RegistryError(404, 40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`),
  subjectSoftDeleted: (subject: string) => new RegistryError(404, 40404, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (subject: string) => new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (subject: string, version: number) =>
    new RegistryError(404, 40406, `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`),
  versionNotSoftDeleted: (subject: string, version: number) =>
    new RegistryError(404, 40407, `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`),
  subjectCompatibilityNotConfigured: (subject: string) =>
    new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`),
  subjectModeNotConfigured: (subject: string) => new RegistryError(404, 40409, `Subject '${subject}' does not have subject-level mode configured`),
  incompatibleSchema: (subject: string, details: readonly string[]) =>
    new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${details.join(', ')}]`),
  unsupportedMediaType: (contentType: string) =>
    new RegistryError(
      415,
      415,
      `Unsupported Content-Type "${contentType}": send application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json or application/octet-stream`,
    ),
  invalidSchema: (message: string) => new RegistryError(422, 42201, message),
  invalidVersion: (version: string) =>
    new RegistryError(
      422,
      42202,
      `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    ),
  invalidCompatibilityLevel: (given: unknown) =>
    new RegistryError(422, 42203, `Invalid compatibility level ${JSON.stringify(given ?? null)}. ${compatibilityLevelHint}`),
  invalidMode: (given: unknown) =>
    new RegistryError(422, 42204, `Invalid mode ${JSON.stringify(given ?? null)}. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT`),
  operationNotPermitted: (message: string) => new RegistryError(422, 42205, message),
  invalidSubject: (subject: string) =>
    new RegistryError(422, 42208, `Invalid subject ${JSON.stringify(subject)}: it must be non-empty and free of control characters`),
  internal: () => new RegistryError(500, 500, 'Internal Server Error: the registry failed unexpectedly; the error is in the hub log'),
  store: (err: unknown) =>
    new RegistryError(
      500,
      50001,
      isNetworkError(err) || /connect|terminat|timeout|pool/i.test(errorMessage(err))
        ? `Error in the backend data store: Postgres is unreachable (${errorMessage(err)})`
        : `Error in the backend data store: ${errorMessage(err)}`,
      { cause: err },
    ),
};

/** RegistryErrors pass through; anything else thrown by the store is a backend store error. */
export function asStoreError(err: unknown): RegistryError {
  return isRegistryError(err) ? err : registryErrors.store(err);
}
