import type { FastifyInstance, FastifyPluginAsync, FastifyPluginOptions, FastifyRequest } from 'fastify';
import type { Authenticator, Principal, Role } from './types.ts';
import { HubError } from '../platform/errors.ts';
import { installInputGuard } from '../platform/http/input-guard.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on this route. A route under the API without it is refused to everyone. */
    roles?: readonly Role[];
  }
}

/** Reads `Authorization: Bearer <token>` (or Basic with the token as password, as registry clients send). */
export function credentialsOf(request: FastifyRequest): { token: string; name?: string } | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return null;
  if (scheme?.toLowerCase() === 'bearer') return { token: value.trim() };
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    return { name: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
  }
  return null;
}

/**
 * Authenticates every request in the scope it is installed in and checks the route's roles.
 * Secure by default: a route that declares no roles is refused.
 */
export function installBearerAuth(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const creds = credentialsOf(request);
    if (!creds)
      throw new HubError(
        'HUB_ERR_UNAUTHENTICATED',
        'send "Authorization: Bearer <token>"; create a principal with `hub principal create <name> --role <role>`',
      );
    const principal = await authenticator.verify(creds.token, creds.name);
    if (!principal) throw new HubError('HUB_ERR_UNAUTHENTICATED', 'the token is unknown, rotated or disabled');
    request.principal = principal;
    const roles = request.routeOptions.config.roles;
    if (!roles?.includes(principal.role)) {
      throw new HubError(
        'HUB_ERR_FORBIDDEN',
        `role "${principal.role}" may not ${request.method} ${request.routeOptions.url ?? request.url}${roles ? `; allowed: ${roles.join(', ')}` : ''}`,
      );
    }
  });
}

/**
 * An area's routes under the API prefix, in a scope that authenticates every request and checks
 * each route's roles (the principals plugin must be registered first: it decorates `authenticator`).
 */
export function authenticated<T extends FastifyPluginOptions>(routes: FastifyPluginAsync<T>): FastifyPluginAsync<T> {
  return async (api, opts) => {
    installBearerAuth(api, api.authenticator);
    installInputGuard(api);
    await routes(api, opts);
  };
}
