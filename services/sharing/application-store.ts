import type { Pool, PoolClient } from '../platform/db/pool.ts';

export interface DatasetRequest {
  dataset: string;
  fields: string[];
}

/** What the data is for: delivered on share topics, or only verified (可用不可见). */
export type IntendedUse = 'subscription' | 'verification';

export type DecisionStatus = 'pending' | 'approved' | 'refused';

/** One decider's part of an application: the requested fields (`<dataset>.<field>`) it is the authoritative source of. */
export interface Decision {
  decider: string;
  fields: string[];
  status: DecisionStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  basis: string | null;
}

/** The decider name that stands for the data authority (no principal name has parentheses). */
export const authorityDecider = '(authority)';

export type ApplicationStatus = 'granted' | 'pending-provider' | 'refused' | 'escalated' | 'expired' | 'revoked' | 'suspended';

export interface Scenario {
  id: string;
  name: string;
  purpose: string;
  legalBasis: string;
  datasets: DatasetRequest[];
  allowedRoles: string[];
  maxValidityDays: number;
  use: IntendedUse;
  createdBy: string;
  createdAt: string;
}

export interface Application {
  id: string;
  consumer: string;
  purpose: string;
  datasets: DatasetRequest[];
  use: IntendedUse;
  validFrom: string;
  validUntil: string;
  confidentialityRef: string | null;
  scenarioId: string | null;
  status: ApplicationStatus;
  provider: string | null;
  jurisdiction: string;
  answerDue: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  basis: string | null;
  grantId: string | null;
  createdAt: string;
}

export interface Step {
  seq: number;
  at: string;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
}

export type TimerKind = 'answer-due' | 'authority-provides' | 'grant-expires';

export interface Timer {
  id: string;
  kind: TimerKind;
  applicationId: string;
  dueAt: string;
}

type Db = Pool | PoolClient;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

interface AppRow {
  id: string;
  consumer: string;
  purpose: string;
  datasets: DatasetRequest[];
  intended_use: IntendedUse;
  valid_from: Date;
  valid_until: Date;
  confidentiality_ref: string | null;
  scenario_id: string | null;
  status: ApplicationStatus;
  provider: string | null;
  jurisdiction: string;
  answer_due: Date | null;
  decided_by: string | null;
  decided_at: Date | null;
  reason: string | null;
  basis: string | null;
  grant_id: string | null;
  created_at: Date;
}

const toApplication = (r: AppRow): Application => ({
  id: r.id,
  consumer: r.consumer,
  purpose: r.purpose,
  datasets: r.datasets,
  use: r.intended_use,
  validFrom: r.valid_from.toISOString(),
  validUntil: r.valid_until.toISOString(),
  confidentialityRef: r.confidentiality_ref,
  scenarioId: r.scenario_id,
  status: r.status,
  provider: r.provider,
  jurisdiction: r.jurisdiction,
  answerDue: iso(r.answer_due),
  decidedBy: r.decided_by,
  decidedAt: iso(r.decided_at),
  reason: r.reason,
  basis: r.basis,
  grantId: r.grant_id,
  createdAt: r.created_at.toISOString(),
});

/** Postgres is the record of the sharing workflow; every change of an application is also a step. */
export function createApplicationStore({ pool }: { pool: Pool }) {
  return {
    async insertScenario(s: Omit<Scenario, 'createdAt'>): Promise<Scenario> {
      const { rows } = await pool.query<{ created_at: Date }>(
        'INSERT INTO scenarios (id, name, purpose, legal_basis, datasets, allowed_roles, max_validity_days, intended_use, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING created_at',
        [s.id, s.name, s.purpose, s.legalBasis, JSON.stringify(s.datasets), s.allowedRoles, s.maxValidityDays, s.use, s.createdBy],
      );
      return { ...s, createdAt: rows[0]!.created_at.toISOString() };
    },
    async scenarios(): Promise<Scenario[]> {
      const { rows } = await pool.query<{
        id: string;
        name: string;
        purpose: string;
        legal_basis: string;
        datasets: DatasetRequest[];
        allowed_roles: string[];
        max_validity_days: number;
        intended_use: IntendedUse;
        created_by: string;
        created_at: Date;
      }>('SELECT * FROM scenarios ORDER BY id');
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        purpose: r.purpose,
        legalBasis: r.legal_basis,
        datasets: r.datasets,
        allowedRoles: r.allowed_roles,
        maxValidityDays: r.max_validity_days,
        use: r.intended_use,
        createdBy: r.created_by,
        createdAt: r.created_at.toISOString(),
      }));
    },
    async insert(db: Db, a: Omit<Application, 'createdAt' | 'decidedAt' | 'decidedBy' | 'reason' | 'basis' | 'grantId'>): Promise<void> {
      await db.query(
        `INSERT INTO applications (id, consumer, purpose, datasets, valid_from, valid_until, confidentiality_ref, scenario_id, status, provider, jurisdiction, answer_due, intended_use)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          a.id,
          a.consumer,
          a.purpose,
          JSON.stringify(a.datasets),
          a.validFrom,
          a.validUntil,
          a.confidentialityRef,
          a.scenarioId,
          a.status,
          a.provider,
          a.jurisdiction,
          a.answerDue,
          a.use,
        ],
      );
    },
    async insertDecisions(db: Db, applicationId: string, decisions: readonly { decider: string; fields: string[] }[]): Promise<void> {
      for (const d of decisions) {
        await db.query('INSERT INTO application_decisions (application_id, decider, fields) VALUES ($1, $2, $3)', [
          applicationId,
          d.decider,
          JSON.stringify(d.fields),
        ]);
      }
    },
    async decisions(db: Db, applicationId: string): Promise<Decision[]> {
      const { rows } = await db.query<{
        decider: string;
        fields: string[];
        status: DecisionStatus;
        decided_by: string | null;
        decided_at: Date | null;
        reason: string | null;
        basis: string | null;
      }>('SELECT * FROM application_decisions WHERE application_id = $1 ORDER BY decider', [applicationId]);
      return rows.map((r) => ({
        decider: r.decider,
        fields: r.fields,
        status: r.status,
        decidedBy: r.decided_by,
        decidedAt: iso(r.decided_at),
        reason: r.reason,
        basis: r.basis,
      }));
    },
    /** Records one decider's answer; false when it had already answered. */
    async decide(
      db: Db,
      applicationId: string,
      decider: string,
      d: { status: 'approved' | 'refused'; by: string; reason: string | null; basis: string | null },
    ): Promise<boolean> {
      const { rowCount } = await db.query(
        `UPDATE application_decisions SET status = $3, decided_by = $4, decided_at = now(), reason = $5, basis = $6 WHERE application_id = $1 AND decider = $2 AND status = 'pending'`,
        [applicationId, decider, d.status, d.by, d.reason, d.basis],
      );
      return rowCount === 1;
    },
    async byId(db: Db, id: string, { lock = false } = {}): Promise<Application | null> {
      const { rows } = await db.query<AppRow>(`SELECT * FROM applications WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
      return rows[0] ? toApplication(rows[0]) : null;
    },
    async list(filter: { consumer?: string; provider?: string; status?: string }): Promise<Application[]> {
      const { rows } = await pool.query<AppRow>(
        `SELECT * FROM applications a WHERE ($1::text IS NULL OR consumer = $1)
           AND ($2::text IS NULL OR provider = $2 OR EXISTS (SELECT 1 FROM application_decisions d WHERE d.application_id = a.id AND d.decider = $2))
           AND ($3::text IS NULL OR status = $3)
         ORDER BY created_at DESC LIMIT 500`,
        [filter.consumer ?? null, filter.provider ?? null, filter.status ?? null],
      );
      return rows.map(toApplication);
    },
    async update(
      db: Db,
      id: string,
      change: { status: ApplicationStatus; decidedBy?: string; reason?: string | null; basis?: string | null; grantId?: string | null },
    ): Promise<void> {
      await db.query(
        `UPDATE applications SET status = $2, decided_by = COALESCE($3, decided_by), decided_at = CASE WHEN $3::text IS NULL THEN decided_at ELSE now() END,
           reason = COALESCE($4, reason), basis = COALESCE($5, basis), grant_id = COALESCE($6, grant_id) WHERE id = $1`,
        [id, change.status, change.decidedBy ?? null, change.reason ?? null, change.basis ?? null, change.grantId ?? null],
      );
    },
    async step(db: Db, applicationId: string, actor: string, action: string, detail: Record<string, unknown> = {}): Promise<void> {
      await db.query(
        `INSERT INTO application_steps (application_id, seq, actor, action, detail)
         VALUES ($1, (SELECT COALESCE(max(seq), 0) + 1 FROM application_steps WHERE application_id = $1), $2, $3, $4)`,
        [applicationId, actor, action, JSON.stringify(detail)],
      );
    },
    async steps(id: string): Promise<Step[]> {
      const { rows } = await pool.query<{ seq: number; at: Date; actor: string; action: string; detail: Record<string, unknown> }>(
        'SELECT * FROM application_steps WHERE application_id = $1 ORDER BY seq',
        [id],
      );
      return rows.map((r) => ({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, detail: r.detail }));
    },
    async schedule(db: Db, kind: TimerKind, applicationId: string, dueAt: Date): Promise<void> {
      await db.query('INSERT INTO sharing_timers (kind, application_id, due_at) VALUES ($1, $2, $3)', [kind, applicationId, dueAt]);
    },
    /** Claims due timers: SKIP LOCKED and the fired_at guard make each fire in one instance only. */
    /** Claims due timers nobody is handling: never claimed, or claimed by an instance whose lease (ms, on the database's clock) ran out. */
    async claimDue(now: Date, by: string, leaseMs: number, limit = 50): Promise<Timer[]> {
      const { rows } = await pool.query<{ id: string; kind: TimerKind; application_id: string; due_at: Date }>(
        `UPDATE sharing_timers SET fired_at = now(), fired_by = $2
         WHERE id IN (
           SELECT id FROM sharing_timers
           WHERE done_at IS NULL AND due_at <= $1 AND (fired_at IS NULL OR fired_at < now() - make_interval(secs => $4::double precision / 1000))
           ORDER BY due_at FOR UPDATE SKIP LOCKED LIMIT $3)
         RETURNING id, kind, application_id, due_at`,
        [now, by, limit, leaseMs],
      );
      return rows.map((r) => ({ id: r.id, kind: r.kind, applicationId: r.application_id, dueAt: r.due_at.toISOString() }));
    },
    async done(id: string): Promise<void> {
      await pool.query('UPDATE sharing_timers SET done_at = now() WHERE id = $1', [id]);
    },
    /** Gives a timer back when handling it failed, so that the next tick tries again. */
    async release(id: string): Promise<void> {
      await pool.query('UPDATE sharing_timers SET fired_at = NULL, fired_by = NULL WHERE id = $1', [id]);
    },
  };
}

export type ApplicationStore = ReturnType<typeof createApplicationStore>;
