import { randomUUID } from 'node:crypto';
import type { Pool } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';

export type OrganisationKind = 'enterprise' | 'university' | 'research_institute';
export type ApplicationStatus = 'pending' | 'approved' | 'refused';

export interface Organisation {
  principal: string;
  name: string;
  uscc: string;
  kind: OrganisationKind;
  contact: string;
  createdAt: string;
}

export interface OpenApplication {
  id: string;
  organisation: string;
  dataset: string;
  owner: string;
  purpose: string;
  status: ApplicationStatus;
  createdAt: string;
  dueAt: string;
  escalatedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  agreement: string | null;
  validUntil: string | null;
  keyIssuedAt: string | null;
}

interface AppRow {
  id: string;
  organisation: string;
  dataset: string;
  owner: string;
  purpose: string;
  status: ApplicationStatus;
  created_at: Date;
  due_at: Date;
  escalated_at: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  reason: string | null;
  agreement: string | null;
  valid_until: Date | null;
  key_issued_at: Date | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
const toApplication = (r: AppRow): OpenApplication => ({
  id: r.id,
  organisation: r.organisation,
  dataset: r.dataset,
  owner: r.owner,
  purpose: r.purpose,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  dueAt: r.due_at.toISOString(),
  escalatedAt: iso(r.escalated_at),
  decidedBy: r.decided_by,
  decidedAt: iso(r.decided_at),
  reason: r.reason,
  agreement: r.agreement,
  validUntil: iso(r.valid_until),
  keyIssuedAt: iso(r.key_issued_at),
});

/** open_organisations and open_applications. */
export interface ApplicationStore {
  addOrganisation(o: Omit<Organisation, 'createdAt'>): Promise<Organisation>;
  organisation(principal: string): Promise<Organisation | null>;
  usccTaken(uscc: string): Promise<boolean>;
  add(a: { organisation: string; dataset: string; owner: string; purpose: string; dueAt: Date }): Promise<OpenApplication>;
  get(id: string): Promise<OpenApplication | null>;
  list(filter: { organisation?: string; owner?: string; escalated?: boolean }): Promise<OpenApplication[]>;
  /** Only a pending application is decided, once. */
  decide(id: string, d: { approve: boolean; reason: string; agreement: string | null; validUntil: Date | null; by: string }): Promise<OpenApplication>;
  setKey(id: string, keyHash: string): Promise<void>;
  /** An approved, unexpired application for this key hash and dataset, or null. */
  byKey(keyHash: string, dataset: string): Promise<OpenApplication | null>;
  /** Pending applications past their due time, each marked escalated exactly once (across instances). */
  escalateDue(now: Date): Promise<OpenApplication[]>;
}

export function createApplicationStore({ pool }: { pool: Pool }): ApplicationStore {
  return {
    async addOrganisation(o) {
      const { rows } = await pool.query<{ created_at: Date }>(
        'INSERT INTO open_organisations (principal, name, uscc, kind, contact) VALUES ($1, $2, $3, $4, $5) RETURNING created_at',
        [o.principal, o.name, o.uscc, o.kind, o.contact],
      );
      return { ...o, createdAt: rows[0]!.created_at.toISOString() };
    },
    async organisation(principal) {
      const { rows } = await pool.query<{ principal: string; name: string; uscc: string; kind: OrganisationKind; contact: string; created_at: Date }>(
        'SELECT * FROM open_organisations WHERE principal = $1',
        [principal],
      );
      const r = rows[0];
      return r ? { principal: r.principal, name: r.name, uscc: r.uscc, kind: r.kind, contact: r.contact, createdAt: r.created_at.toISOString() } : null;
    },
    async usccTaken(uscc) {
      return (await pool.query('SELECT 1 FROM open_organisations WHERE uscc = $1', [uscc])).rowCount !== 0;
    },
    async add({ organisation, dataset, owner, purpose, dueAt }) {
      const { rows } = await pool.query<AppRow>(
        `INSERT INTO open_applications (id, organisation, dataset, owner, purpose, status, due_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING *`,
        [randomUUID(), organisation, dataset, owner, purpose, dueAt],
      );
      return toApplication(rows[0]!);
    },
    async get(id) {
      const { rows } = await pool.query<AppRow>('SELECT * FROM open_applications WHERE id = $1', [id]);
      return rows[0] ? toApplication(rows[0]) : null;
    },
    async list({ organisation, owner, escalated }) {
      const { rows } = await pool.query<AppRow>(
        `SELECT * FROM open_applications WHERE ($1::text IS NULL OR organisation = $1) AND ($2::text IS NULL OR owner = $2)
           AND ($3::boolean IS NULL OR (escalated_at IS NOT NULL) = $3) ORDER BY created_at DESC LIMIT 500`,
        [organisation ?? null, owner ?? null, escalated ?? null],
      );
      return rows.map(toApplication);
    },
    async decide(id, { approve, reason, agreement, validUntil, by }) {
      const { rows } = await pool.query<AppRow>(
        `UPDATE open_applications SET status = $2, reason = $3, agreement = $4, valid_until = $5, decided_by = $6, decided_at = now()
         WHERE id = $1 AND status = 'pending' RETURNING *`,
        [id, approve ? 'approved' : 'refused', reason, agreement, validUntil, by],
      );
      if (!rows[0]) throw new HubError('HUB_ERR_CONFLICT', `application ${id} was already decided`);
      return toApplication(rows[0]);
    },
    async setKey(id, keyHash) {
      await pool.query('UPDATE open_applications SET key_hash = $2, key_issued_at = now() WHERE id = $1', [id, keyHash]);
    },
    async byKey(keyHash, dataset) {
      const { rows } = await pool.query<AppRow>(
        `SELECT * FROM open_applications WHERE key_hash = $1 AND dataset = $2 AND status = 'approved' AND valid_until > now()`,
        [keyHash, dataset],
      );
      return rows[0] ? toApplication(rows[0]) : null;
    },
    async escalateDue(now) {
      const { rows } = await pool.query<AppRow>(
        `UPDATE open_applications SET escalated_at = $1 WHERE status = 'pending' AND escalated_at IS NULL AND due_at < $1 RETURNING *`,
        [now],
      );
      return rows.map(toApplication);
    },
  };
}
