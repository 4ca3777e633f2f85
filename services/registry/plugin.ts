import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Pool } from '../platform/db/pool.ts';
import { errorMessage, isNetworkError } from '../platform/errors.ts';
import type { Authenticator, Principal } from '../principals/types.ts';
import { authenticate, authRealm, defaultCanWriteSubject, type CanWriteSubject } from './auth.ts';
import { createRegistry } from './registry.ts';
import { RegistryError, isRegistryError, registryErrors } from './registry-error.ts';
import { registryRoutes } from './routes.ts';
import { createRegistryStore } from './store.ts';

export interface RegistryPluginOptions {
  /** Its search_path is the hub schema, with migrations applied. */
  pool: Pool;
  authenticator: Authenticator;
  /** Who may register, delete and configure a subject; default: roles authority and service. */
  canWriteSubject?: CanWriteSubject;
  /** Told of every write that succeeded (register, delete, config, mode), before the answer is sent: the hub audits them. */
  onWrite?: (write: RegistryWrite) => Promise<unknown>;
}

export interface RegistryWrite {
  principal: Principal;
  action: 'registry.registered' | 'registry.deleted' | 'registry.config_changed' | 'registry.mode_changed';
  /** null: the global config or mode. */
  subject: string | null;
  method: string;
}

const writeActions: Readonly<Record<string, RegistryWrite['action']>> = {
  'POST /subjects/:subject/versions': 'registry.registered',
  'DELETE /subjects/:subject': 'registry.deleted',
  'DELETE /subjects/:subject/versions/:version': 'registry.deleted',
  'PUT /config': 'registry.config_changed',
  'DELETE /config': 'registry.config_changed',
  'PUT /config/:subject': 'registry.config_changed',
  'DELETE /config/:subject': 'registry.config_changed',
  'PUT /mode': 'registry.mode_changed',
  'PUT /mode/:subject': 'registry.mode_changed',
  'DELETE /mode/:subject': 'registry.mode_changed',
};

export const registryContentType = 'application/vnd.schemaregistry.v1+json';

const acceptedContentTypes = ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/json', 'application/octet-stream'];

function toRegistryError(err: FastifyError | Error): RegistryError {
  if (isRegistryError(err)) return err;
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 415) return registryErrors.unsupportedMediaType(String((err as { contentType?: unknown }).contentType ?? 'unknown'));
    return new RegistryError(status, status, errorMessage(err));
  }
  if (isNetworkError(err)) return registryErrors.store(err);
  return registryErrors.internal();
}

/**
 * The Confluent Schema Registry REST API, persisted in Postgres. Encapsulated: its body parsers,
 * auth hook, error and not-found handlers apply only under its prefix.
 */
export const registryPlugin: FastifyPluginAsync<RegistryPluginOptions> = async (
  app,
  { pool, authenticator, canWriteSubject = defaultCanWriteSubject, onWrite },
) => {
  const registry = createRegistry({ store: createRegistryStore({ pool }) });
  const principals = new WeakMap<FastifyRequest, Principal>();
  const principalOf = (request: FastifyRequest): Principal => {
    const principal = principals.get(request);
    if (!principal) throw registryErrors.unauthenticated('Unauthorized: the request was not authenticated');
    return principal;
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(acceptedContentTypes, { parseAs: 'string' }, (_request, body, done) => {
    const raw = typeof body === 'string' ? body : body.toString('utf8');
    if (raw.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(raw) as unknown);
    } catch (err) {
      done(registryErrors.badRequest(`The request body is not valid JSON: ${errorMessage(err)}`), undefined);
    }
  });

  app.addHook('onRequest', async (request) => {
    principals.set(request, await authenticate({ authenticator, header: request.headers.authorization }));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('content-type', registryContentType);
    const route = (request.routeOptions.url ?? '').slice(app.prefix.length) || '/';
    const action = writeActions[`${request.method} ${route}`];
    const principal = principals.get(request);
    if (onWrite && action && principal && reply.statusCode < 300) {
      const subject = (request.params as { subject?: string }).subject ?? null;
      await onWrite({ principal, action, subject, method: request.method });
    }
    return payload;
  });

  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    const registryError = toRegistryError(err);
    if (registryError.status >= 500) {
      request.log.error({ err, errorCode: registryError.errorCode }, 'schema registry request failed');
    }
    if (registryError.status === 401) reply.header('www-authenticate', authRealm);
    return reply.code(registryError.status).send(registryError.toJSON());
  });

  app.setNotFoundHandler((request, reply) => {
    const notFound = registryErrors.routeNotFound(request.method, request.url);
    return reply.code(notFound.status).send(notFound.toJSON());
  });

  registryRoutes(app, { registry, principalOf, canWriteSubject });
};
