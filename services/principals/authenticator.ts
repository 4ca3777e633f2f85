import type { PrincipalStore } from './store.ts';
import type { Authenticator, Principal } from './types.ts';
import { hashToken } from '../platform/crypto.ts';

/**
 * Verifies tokens against Postgres, trusting a verified token in-process for cacheTtlMs so that a
 * hot path (schema lookups, ingest) does not pay a query per request. Disabling a principal takes
 * effect within that TTL.
 */
export function createAuthenticator({ store, cacheTtlMs, now = Date.now }: { store: PrincipalStore; cacheTtlMs: number; now?: () => number }): Authenticator {
  const cache = new Map<string, { principal: Principal; until: number }>();
  return {
    async verify(token, claimedName) {
      if (!token) return null;
      const key = hashToken(token);
      const hit = cache.get(key);
      let principal: Principal | null;
      if (hit && hit.until > now()) {
        principal = hit.principal;
      } else {
        principal = await store.byToken(token);
        if (principal && cacheTtlMs > 0) {
          if (cache.size > 10_000) cache.clear();
          cache.set(key, { principal, until: now() + cacheTtlMs });
        } else {
          cache.delete(key);
        }
      }
      if (!principal) return null;
      if (claimedName !== undefined && claimedName !== principal.name) return null;
      return principal;
    },
  };
}
