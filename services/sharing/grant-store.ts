import type { Pool } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';

export const grantStatuses = ['pending', 'active', 'expired', 'revoked', 'suspended'] as const;
export type GrantStatus = (typeof grantStatuses)[number];
export type EndReason = 'expired' | 'revoked' | 'suspended';

export interface GrantRow {
  id: string;
  consumer: string;
  purpose: string;
  datasets: { dataset: string; fields: string[] }[];
  unmasked: string[];
  masking: Record<string, string>;
  status: GrantStatus;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  endedReason: EndReason | null;
  salt: string;
}

interface DbRow {
  id: string;
  consumer: string;
  purpose: string;
  datasets: { dataset: string; fields: string[] }[];
  unmasked: string[];
  masking: Record<string, string>;
  status: GrantStatus;
  created_at: Date;
  expires_at: Date;
  ended_at: Date | null;
  ended_reason: EndReason | null;
  salt: string;
}

const toRow = (r: DbRow): GrantRow => ({
  id: r.id,
  consumer: r.consumer,
  purpose: r.purpose,
  datasets: r.datasets,
  unmasked: r.unmasked,
  masking: r.masking,
  status: r.status,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  endedReason: r.ended_reason,
  salt: r.salt,
});

export interface GrantStore {
  /** Inserts a pending grant, or returns the row already stored under that id (untouched). */
  insertPending(g: Omit<GrantRow, 'status' | 'createdAt' | 'endedAt' | 'endedReason'>): Promise<GrantRow>;
  get(id: string): Promise<GrantRow | null>;
  setActive(id: string): Promise<void>;
  /** Ends a pending or active grant; false when it had already ended. */
  end(id: string, reason: EndReason): Promise<boolean>;
  byStatus(statuses: readonly GrantStatus[]): Promise<GrantRow[]>;
  dueToExpire(now: Date): Promise<GrantRow[]>;
}

export function createGrantStore({ pool }: { pool: Pool }): GrantStore {
  const cols = 'id, consumer, purpose, datasets, unmasked, masking, status, created_at, expires_at, ended_at, ended_reason, salt';
  return {
    async insertPending(g) {
      await pool.query(
        `INSERT INTO grants (id, consumer, purpose, datasets, unmasked, masking, status, expires_at, salt)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) ON CONFLICT (id) DO NOTHING`,
        [g.id, g.consumer, g.purpose, JSON.stringify(g.datasets), g.unmasked, JSON.stringify(g.masking), g.expiresAt, g.salt],
      );
      const row = await this.get(g.id);
      if (!row) throw new HubError('HUB_ERR_CONFLICT', `grant ${g.id} vanished right after its insert`);
      return row;
    },
    async get(id) {
      const { rows } = await pool.query<DbRow>(`SELECT ${cols} FROM grants WHERE id = $1`, [id]);
      return rows[0] ? toRow(rows[0]) : null;
    },
    async setActive(id) {
      await pool.query(`UPDATE grants SET status = 'active' WHERE id = $1 AND status = 'pending'`, [id]);
    },
    async end(id, reason) {
      const { rowCount } = await pool.query(
        `UPDATE grants SET status = $2, ended_reason = $2, ended_at = now() WHERE id = $1 AND status IN ('pending', 'active')`,
        [id, reason],
      );
      return (rowCount ?? 0) > 0;
    },
    async byStatus(statuses) {
      const { rows } = await pool.query<DbRow>(`SELECT ${cols} FROM grants WHERE status = ANY($1::text[]) ORDER BY created_at, id`, [statuses]);
      return rows.map(toRow);
    },
    async dueToExpire(now) {
      const { rows } = await pool.query<DbRow>(`SELECT ${cols} FROM grants WHERE status IN ('pending', 'active') AND expires_at <= $1 ORDER BY expires_at`, [
        now,
      ]);
      return rows.map(toRow);
    },
  };
}
