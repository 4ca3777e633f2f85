import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from '../platform/db/pool.ts';
import { withTransaction } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { dueDates, type JurisdictionProfile } from '../platform/calendar/jurisdictions.ts';
import { chinaDate, defaultCalendar, type IsoDate, type WorkingCalendar } from '../platform/calendar/working-days.ts';
import type { Principal } from '../principals/types.ts';
import type { AuditEvent } from '../audit/log.ts';
import type { CatalogService } from '../catalog/service.ts';
import { firstLandedSince } from '../cleansing/landing/reader.ts';
import { type LandingTable, landingTableOf } from '../cleansing/landing/tables.ts';
import type { CorrectionQuery, CorrectionRequest, CorrectionStore } from './correction-store.ts';

export interface CorrectionReport {
  dataset: string;
  key: string;
  fields: string[];
  description: string;
}

/** A request as people see it: with the working days left until its current due date. */
export type CorrectionView = CorrectionRequest & { daysLeft: number | null; overdue: boolean };

export interface CorrectionService {
  /**
   * A consumer (about data its grant delivers) or a steward (for a citizen's objection) reports
   * problem data; it is routed to the authoritative provider of the first named field that has one,
   * else the contract's owner. `route` names the provider when a steward routes an alert; `among`
   * (the alert's sources) is who may receive it: the key is not for a department that never sent it.
   */
  report(
    input: CorrectionReport,
    by: Principal,
    options?: { at?: Date; alertId?: string; provider?: string; among?: readonly string[]; db?: PoolClient },
  ): Promise<CorrectionView>;
  /** What this principal may see: all (steward, authority, auditor), its own as provider (department) or as reporter (consumer). */
  list(by: Principal, q: Omit<CorrectionQuery, 'provider' | 'reportedBy'> & { provider?: string }): Promise<CorrectionView[]>;
  get(id: string, by: Principal): Promise<CorrectionView>;
  verify(id: string, by: Principal, decision: { decision: 'confirmed' | 'rejected'; note: string }): Promise<CorrectionView>;
  /** Closes confirmed requests whose corrected record has landed, escalates overdue ones; returns what it did. */
  sweep(now?: Date): Promise<{ closed: string[]; escalated: string[] }>;
  view(r: CorrectionRequest, now?: Date): CorrectionView;
}

/** Working days after today up to `due` (China dates): 0 on the due day, negative (working days past it) once overdue. */
export function workingDaysLeft(due: IsoDate, now: Date, calendar: WorkingCalendar = defaultCalendar()): number {
  const today = chinaDate(now);
  const [from, to, sign] = today <= due ? [today, due, 1] : [due, today, -1];
  let n = 0;
  // A deadline is at most a few weeks away: walking the days is cheap and uses the calendar's own rule.
  for (let day = calendar.addCalendarDays(from, 1); day <= to; day = calendar.addCalendarDays(day, 1)) if (calendar.isWorkingDay(day)) n += 1;
  return sign * n;
}

export function createCorrectionService({
  pool,
  store,
  catalog,
  profile,
  schemaPrefix,
  canReport,
  record,
  log,
}: {
  pool: Pool;
  store: CorrectionStore;
  catalog: CatalogService;
  profile: JurisdictionProfile;
  schemaPrefix: string;
  /** Whether a consumer's grants deliver these fields of the dataset. */
  canReport: (consumer: string, dataset: string, fields: readonly string[]) => Promise<boolean>;
  record: (db: Pool | PoolClient, event: AuditEvent) => Promise<unknown>;
  log: Logger;
}): CorrectionService {
  function view(r: CorrectionRequest, now = new Date()): CorrectionView {
    const due = r.status === 'open' ? r.verifyDue : r.status === 'confirmed' ? r.correctDue : null;
    const dueAt = r.status === 'open' ? r.verifyDueAt : r.status === 'confirmed' ? r.correctDueAt : null;
    return { ...r, daysLeft: due ? workingDaysLeft(due, now) : null, overdue: dueAt !== null && Date.parse(dueAt) < now.getTime() };
  }

  function visible(r: CorrectionRequest, by: Principal): boolean {
    if (by.role === 'department') return r.provider === by.name;
    if (by.role === 'consumer') return r.reportedBy === by.name;
    return by.role === 'steward' || by.role === 'authority' || by.role === 'auditor';
  }

  return {
    view,
    async report(input, by, options = {}) {
      const at = options.at ?? new Date();
      const contract = await catalog.contract(input.dataset);
      const schema = await catalog.contractOf(input.dataset);
      const names = new Set(schema.fields.map((f) => f.name));
      const unknown = input.fields.filter((f) => !names.has(f));
      if (unknown.length > 0) throw new HubError('HUB_ERR_VALIDATION', `fields: ${input.dataset} has no field ${unknown.join(', ')}`);
      if (by.role === 'consumer' && !(await canReport(by.name, input.dataset, input.fields))) {
        throw new HubError('HUB_ERR_FORBIDDEN', `no active grant of yours delivers ${input.fields.join(', ')} of ${input.dataset}`);
      }
      const provider = options.provider ?? input.fields.map((f) => contract.authorities[f]).find((p): p is string => typeof p === 'string') ?? contract.owner;
      if (options.among && !options.among.includes(provider)) {
        throw new HubError(
          'HUB_ERR_VALIDATION',
          `provider: ${provider} is not one of this alert's sources (${options.among.join(', ')}); name which of them answers`,
        );
      }
      const [verify, correct] = dueDates(profile, 'correction', at);
      const request = {
        id: randomUUID(),
        dataset: input.dataset,
        key: input.key,
        fields: [...new Set(input.fields)],
        description: input.description,
        reportedBy: by.name,
        reporterRole: by.role,
        provider,
        alertId: options.alertId ?? null,
        jurisdiction: profile.id,
        basis: profile.correction.basis,
        verifyDue: verify!.due,
        verifyDueAt: verify!.dueAt,
        correctDue: correct?.due ?? null,
        correctDueAt: correct?.dueAt ?? null,
        createdAt: at.toISOString(),
      };
      const write = async (db: PoolClient) => {
        const created = await store.insert(db, request);
        await record(db, {
          actor: by.name,
          actorRole: by.role,
          action: 'correction.reported',
          method: 'api',
          subjectProvider: provider,
          datasets: [input.dataset],
          fields: request.fields,
          detail: { correction: request.id, alert: request.alertId, verifyDue: request.verifyDue, correctDue: request.correctDue },
        });
        return created;
      };
      const created = options.db ? await write(options.db) : await withTransaction(pool, write);
      return view(created, at);
    },
    async list(by, q) {
      const scoped: CorrectionQuery = { ...q };
      if (by.role === 'department') scoped.provider = by.name;
      else if (by.role === 'consumer') scoped.reportedBy = by.name;
      return (await store.list(scoped)).map((r) => view(r));
    },
    async get(id, by) {
      const r = await store.get(id);
      // Another department's request is as absent as a missing one: its existence is not for them.
      if (!r || !visible(r, by)) throw new HubError('HUB_ERR_NOT_FOUND', `no correction request ${id}`);
      return view(r);
    },
    async verify(id, by, { decision, note }) {
      const r = await store.get(id);
      if (!r || r.provider !== by.name) throw new HubError('HUB_ERR_NOT_FOUND', `no correction request ${id} addressed to ${by.name}`);
      const now = new Date();
      const verified = await withTransaction(pool, async (client) => {
        const v = await store.verify(client, id, { by: by.name, decision, note, at: now });
        if (!v) throw new HubError('HUB_ERR_CONFLICT', `correction request ${id} is ${r.status}; only an open request is verified`);
        await record(client, {
          actor: by.name,
          actorRole: by.role,
          action: 'correction.verified',
          method: 'api',
          subjectProvider: r.provider,
          datasets: [r.dataset],
          fields: r.fields,
          detail: { correction: id, decision, note, onTime: now.getTime() <= Date.parse(r.verifyDueAt) },
        });
        return v;
      });
      return view(verified, now);
    },
    async sweep(now = new Date()) {
      const closed: string[] = [];
      // One contract read per dataset per sweep, however many of its requests wait.
      const tables = new Map<string, Promise<LandingTable>>();
      const tableOf = (dataset: string) => {
        let t = tables.get(dataset);
        if (!t) {
          t = catalog.contractOf(dataset).then((schema) => landingTableOf(schema, schemaPrefix));
          t.catch(() => undefined);
          tables.set(dataset, t);
        }
        return t;
      };
      for (const r of await store.awaitingCorrection(500)) {
        try {
          const table = await tableOf(r.dataset);
          const landed = await firstLandedSince(pool, table, { key: r.key, provider: r.provider, since: new Date(r.verifiedAt ?? r.createdAt) });
          if (!landed) continue;
          await withTransaction(pool, async (client) => {
            const done = await store.close(client, r.id, landed, new Date(landed.landedAt));
            if (!done) return;
            closed.push(r.id);
            await record(client, {
              actor: 'hub',
              actorRole: 'service',
              action: 'correction.corrected',
              method: 'cleansing',
              subjectProvider: r.provider,
              datasets: [r.dataset],
              fields: r.fields,
              detail: { correction: r.id, source: landed, onTime: r.correctDueAt === null || Date.parse(landed.landedAt) <= Date.parse(r.correctDueAt) },
            });
          });
        } catch (err) {
          log.warn({ err, correction: r.id }, 'cannot check a correction request; retrying on the next sweep');
        }
      }
      const escalated = await withTransaction(pool, async (client) => {
        const due = await store.escalateDue(client, now);
        for (const r of due) {
          await record(client, {
            actor: 'hub',
            actorRole: 'service',
            action: 'correction.escalated',
            method: 'timer',
            subjectProvider: r.provider,
            datasets: [r.dataset],
            fields: r.fields,
            detail: { correction: r.id, reason: r.escalationReason, verifyDue: r.verifyDue, correctDue: r.correctDue },
          });
        }
        return due.map((r) => r.id);
      });
      return { closed, escalated };
    },
  };
}
