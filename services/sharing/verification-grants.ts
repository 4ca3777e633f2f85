import type { Pool, PoolClient } from '../platform/db/pool.ts';
import type { DatasetRequest } from './application-store.ts';

export type VerificationGrantEnd = 'expired' | 'revoked' | 'suspended';

/**
 * Verification grants (可用不可见): the fields of the datasets a principal may verify claims about,
 * until when. No Kafka rights come with them; the verification interface asks covers().
 */
export interface VerificationGrantStore {
  activate(db: Pool | PoolClient, g: { id: string; applicationId: string; consumer: string; datasets: DatasetRequest[]; expiresAt: Date }): Promise<void>;
  end(db: Pool | PoolClient, id: string, reason: VerificationGrantEnd): Promise<void>;
  /** Whether one live grant of `consumer` covers every field of `dataset` named. */
  covers(consumer: string, dataset: string, fields: readonly string[]): Promise<boolean>;
}

/**
 * `cacheMs`: how long a "covered" answer is reused in this process (a refusal never is). Ending a
 * grant here clears it at once; one ended on another hub instance stops answering here within it.
 */
export function createVerificationGrantStore({ pool, cacheMs = 0 }: { pool: Pool; cacheMs?: number }): VerificationGrantStore {
  const covered = new Map<string, number>();
  // Bumped after each ending commits: an answer read before it is not cached after it.
  let endings = 0;
  return {
    async activate(db, g) {
      await db.query(
        `INSERT INTO verification_grants (id, application_id, consumer, datasets, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
        [g.id, g.applicationId, g.consumer, JSON.stringify(g.datasets), g.expiresAt],
      );
    },
    async end(db, id, reason) {
      await db.query(`UPDATE verification_grants SET status = $2, ended_at = now() WHERE id = $1 AND status = 'active'`, [id, reason]);
      endings += 1;
      covered.clear();
    },
    async covers(consumer, dataset, fields) {
      const cacheKey = JSON.stringify([consumer, dataset, fields]);
      const cachedUntil = covered.get(cacheKey);
      if (cachedUntil !== undefined && cachedUntil > Date.now()) return true;
      const epoch = endings;
      const { rows } = await pool.query<{ until: Date | null }>(
        `SELECT max(g.expires_at) AS until FROM verification_grants g, jsonb_array_elements(g.datasets) d
          WHERE g.consumer = $1 AND g.status = 'active' AND g.expires_at > now() AND d ->> 'dataset' = $2 AND (d -> 'fields') @> $3::jsonb`,
        [consumer, dataset, JSON.stringify(fields)],
      );
      const until = rows[0]?.until ?? null;
      const ok = until !== null;
      if (until !== null && cacheMs > 0 && epoch === endings) {
        // Bounded: a principal cycling through field sets cannot grow it without end. Never past the grant's expiry.
        if (covered.size >= 10_000) covered.clear();
        covered.set(cacheKey, Math.min(Date.now() + cacheMs, until.getTime()));
      } else covered.delete(cacheKey);
      return ok;
    },
  };
}
