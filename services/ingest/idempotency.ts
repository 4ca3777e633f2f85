import { createHash } from 'node:crypto';
import type { Pool } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';

export type Claim = { kind: 'fresh' } | { kind: 'replay'; statusCode: number; response: unknown };

export interface IdempotencyStore {
  /**
   * Claims a key for a request body. A finished request with the same key and body is replayed; a
   * different body under the same key is refused; an unfinished one is refused until its lease ends.
   */
  claim(principal: string, key: string, body: unknown): Promise<Claim>;
  finish(principal: string, key: string, statusCode: number, response: unknown): Promise<void>;
  /** Forgets a claim whose request failed, so that a retry runs again. */
  release(principal: string, key: string): Promise<void>;
}

export const idempotencyKeyPattern = /^[\x21-\x7e]{1,200}$/;

export function createIdempotencyStore({ pool, leaseMs }: { pool: Pool; leaseMs: number }): IdempotencyStore {
  return {
    async claim(principal, key, body) {
      if (!idempotencyKeyPattern.test(key)) throw new HubError('HUB_ERR_VALIDATION', 'Idempotency-Key must be 1-200 visible ASCII characters');
      const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
      const inserted = await pool.query('INSERT INTO ingest_requests (principal, key, body_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        principal,
        key,
        hash,
      ]);
      if (inserted.rowCount === 1) return { kind: 'fresh' };
      const { rows } = await pool.query<{ body_hash: string; status_code: number | null; response: unknown; stale: boolean }>(
        `SELECT body_hash, status_code, response, started_at < now() - make_interval(secs => $3::double precision / 1000) AS stale
         FROM ingest_requests WHERE principal = $1 AND key = $2`,
        [principal, key, leaseMs],
      );
      const row = rows[0];
      if (!row) return this.claim(principal, key, body);
      if (row.body_hash !== hash)
        throw new HubError('HUB_ERR_UNPROCESSABLE', `Idempotency-Key "${key}" was already used for a different batch: use a new key for new data`);
      if (row.status_code !== null) return { kind: 'replay', statusCode: row.status_code, response: row.response };
      if (!row.stale) throw new HubError('HUB_ERR_CONFLICT', `a request with Idempotency-Key "${key}" is still in progress: retry after it finishes`);
      const taken = await pool.query('UPDATE ingest_requests SET started_at = now() WHERE principal = $1 AND key = $2 AND status_code IS NULL', [
        principal,
        key,
      ]);
      if (taken.rowCount === 1) return { kind: 'fresh' };
      return this.claim(principal, key, body);
    },
    async finish(principal, key, statusCode, response) {
      await pool.query('UPDATE ingest_requests SET status_code = $3, response = $4, finished_at = now() WHERE principal = $1 AND key = $2', [
        principal,
        key,
        statusCode,
        JSON.stringify(response),
      ]);
    },
    async release(principal, key) {
      await pool.query('DELETE FROM ingest_requests WHERE principal = $1 AND key = $2 AND status_code IS NULL', [principal, key]);
    },
  };
}
