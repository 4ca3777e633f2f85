import type { Pool, PoolClient } from '../platform/db/pool.ts';

export type CorrectionStatus = 'open' | 'confirmed' | 'rejected' | 'corrected';
export const correctionStatuses = ['open', 'confirmed', 'rejected', 'corrected'] as const;

export interface CorrectionRequest {
  id: string;
  dataset: string;
  key: string;
  fields: string[];
  description: string;
  reportedBy: string;
  reporterRole: string;
  provider: string;
  alertId: string | null;
  jurisdiction: string;
  basis: string;
  status: CorrectionStatus;
  verifyDue: string;
  verifyDueAt: string;
  correctDue: string | null;
  correctDueAt: string | null;
  verifiedAt: string | null;
  verifiedBy: string | null;
  verificationNote: string | null;
  correctedAt: string | null;
  correctedSource: Record<string, unknown> | null;
  escalatedAt: string | null;
  escalationReason: string | null;
  createdAt: string;
}

interface Row {
  id: string;
  dataset: string;
  key: string;
  fields: string[];
  description: string;
  reported_by: string;
  reporter_role: string;
  provider: string;
  alert_id: string | null;
  jurisdiction: string;
  basis: string;
  status: CorrectionStatus;
  verify_due: string;
  verify_due_at: Date;
  correct_due: string | null;
  correct_due_at: Date | null;
  verified_at: Date | null;
  verified_by: string | null;
  verification_note: string | null;
  corrected_at: Date | null;
  corrected_source: Record<string, unknown> | null;
  escalated_at: Date | null;
  escalation_reason: string | null;
  created_at: Date;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const columns = `id, dataset, key, fields, description, reported_by, reporter_role, provider, alert_id, jurisdiction, basis, status,
  verify_due::text AS verify_due, verify_due_at, correct_due::text AS correct_due, correct_due_at, verified_at, verified_by,
  verification_note, corrected_at, corrected_source, escalated_at, escalation_reason, created_at`;

const toRequest = (r: Row): CorrectionRequest => ({
  id: r.id,
  dataset: r.dataset,
  key: r.key,
  fields: r.fields,
  description: r.description,
  reportedBy: r.reported_by,
  reporterRole: r.reporter_role,
  provider: r.provider,
  alertId: r.alert_id,
  jurisdiction: r.jurisdiction,
  basis: r.basis,
  status: r.status,
  verifyDue: r.verify_due,
  verifyDueAt: r.verify_due_at.toISOString(),
  correctDue: r.correct_due,
  correctDueAt: iso(r.correct_due_at),
  verifiedAt: iso(r.verified_at),
  verifiedBy: r.verified_by,
  verificationNote: r.verification_note,
  correctedAt: iso(r.corrected_at),
  correctedSource: r.corrected_source,
  escalatedAt: iso(r.escalated_at),
  escalationReason: r.escalation_reason,
  createdAt: r.created_at.toISOString(),
});

export type NewCorrection = Pick<
  CorrectionRequest,
  | 'id'
  | 'dataset'
  | 'key'
  | 'fields'
  | 'description'
  | 'reportedBy'
  | 'reporterRole'
  | 'provider'
  | 'alertId'
  | 'jurisdiction'
  | 'basis'
  | 'verifyDue'
  | 'verifyDueAt'
  | 'correctDue'
  | 'correctDueAt'
  | 'createdAt'
>;

export interface CorrectionQuery {
  provider?: string;
  reportedBy?: string;
  status?: CorrectionStatus;
  escalated?: boolean;
  limit: number;
}

type Db = Pool | PoolClient;

/** The only SQL on correction_requests. */
export interface CorrectionStore {
  insert(db: Db, c: NewCorrection): Promise<CorrectionRequest>;
  get(id: string): Promise<CorrectionRequest | null>;
  list(q: CorrectionQuery): Promise<CorrectionRequest[]>;
  /** Records the provider's verification if the request is still open; null if it was not. */
  verify(db: Db, id: string, v: { by: string; decision: 'confirmed' | 'rejected'; note: string; at: Date }): Promise<CorrectionRequest | null>;
  /** Confirmed requests not yet corrected: candidates for closing. */
  awaitingCorrection(limit: number): Promise<CorrectionRequest[]>;
  close(db: Db, id: string, source: Record<string, unknown>, at: Date): Promise<CorrectionRequest | null>;
  /** Marks overdue requests escalated, once each (the UPDATE decides between instances); returns them. */
  escalateDue(db: Db, now: Date): Promise<CorrectionRequest[]>;
  /** Every request created in [from, to), for scorecards. */
  createdBetween(from: Date, to: Date): Promise<CorrectionRequest[]>;
}

export function createCorrectionStore({ pool }: { pool: Pool }): CorrectionStore {
  return {
    async insert(db, c) {
      const { rows } = await db.query<Row>(
        `INSERT INTO correction_requests (id, dataset, key, fields, description, reported_by, reporter_role, provider, alert_id, jurisdiction, basis,
           verify_due, verify_due_at, correct_due, correct_due_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING ${columns}`,
        [
          c.id,
          c.dataset,
          c.key,
          c.fields,
          c.description,
          c.reportedBy,
          c.reporterRole,
          c.provider,
          c.alertId,
          c.jurisdiction,
          c.basis,
          c.verifyDue,
          c.verifyDueAt,
          c.correctDue,
          c.correctDueAt,
          c.createdAt,
        ],
      );
      return toRequest(rows[0]!);
    },
    async get(id) {
      const { rows } = await pool.query<Row>(`SELECT ${columns} FROM correction_requests WHERE id = $1`, [id]);
      return rows[0] ? toRequest(rows[0]) : null;
    },
    async list({ provider, reportedBy, status, escalated, limit }) {
      const { rows } = await pool.query<Row>(
        `SELECT ${columns} FROM correction_requests
          WHERE ($1::text IS NULL OR provider = $1) AND ($2::text IS NULL OR reported_by = $2) AND ($3::text IS NULL OR status = $3)
            AND ($4::boolean IS NULL OR (escalated_at IS NOT NULL) = $4)
          ORDER BY created_at DESC, id LIMIT $5`,
        [provider ?? null, reportedBy ?? null, status ?? null, escalated ?? null, limit],
      );
      return rows.map(toRequest);
    },
    async verify(db, id, { by, decision, note, at }) {
      const { rows } = await db.query<Row>(
        `UPDATE correction_requests SET status = $2, verified_at = $5, verified_by = $3, verification_note = $4
          WHERE id = $1 AND status = 'open' RETURNING ${columns}`,
        [id, decision, by, note, at],
      );
      return rows[0] ? toRequest(rows[0]) : null;
    },
    async awaitingCorrection(limit) {
      const { rows } = await pool.query<Row>(`SELECT ${columns} FROM correction_requests WHERE status = 'confirmed' ORDER BY verified_at LIMIT $1`, [limit]);
      return rows.map(toRequest);
    },
    async close(db, id, source, at) {
      const { rows } = await db.query<Row>(
        `UPDATE correction_requests SET status = 'corrected', corrected_at = $3, corrected_source = $2
          WHERE id = $1 AND status = 'confirmed' RETURNING ${columns}`,
        [id, JSON.stringify(source), at],
      );
      return rows[0] ? toRequest(rows[0]) : null;
    },
    async escalateDue(db, now) {
      const { rows } = await db.query<Row>(
        `UPDATE correction_requests SET escalated_at = $1,
           escalation_reason = CASE WHEN status = 'open' THEN 'verify-overdue' ELSE 'correct-overdue' END
          WHERE escalated_at IS NULL
            AND ((status = 'open' AND verify_due_at < $1) OR (status = 'confirmed' AND correct_due_at IS NOT NULL AND correct_due_at < $1))
          RETURNING ${columns}`,
        [now],
      );
      return rows.map(toRequest);
    },
    async createdBetween(from, to) {
      const { rows } = await pool.query<Row>(`SELECT ${columns} FROM correction_requests WHERE created_at >= $1 AND created_at < $2`, [from, to]);
      return rows.map(toRequest);
    },
  };
}
