import { stringify } from 'csv-stringify/sync';
import { HubError } from '../platform/errors.ts';
import type { Pool } from '../platform/db/pool.ts';
import { chinaDate } from '../platform/calendar/working-days.ts';
import type { AuditLog } from '../audit/log.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { FreshnessWatcher } from '../ingest/freshness.ts';
import type { AlertStore } from '../cleansing/alerts.ts';
import { landedByProvider } from '../cleansing/landing/reader.ts';
import { landingTableOf } from '../cleansing/landing/tables.ts';
import type { SharingService } from '../sharing/applications.ts';
import type { CorrectionStore } from './correction-store.ts';

export interface Scorecard {
  department: string;
  recordsProvided: number;
  datasets: number;
  /** Datasets with no freshness alert open at any time in the period. */
  datasetsFresh: number;
  invalid: number;
  invalidRate: number;
  /** Conflicts its value lost; on a department's own card only those a steward routed (the rest would be an oracle of others' values). */
  conflicts: number;
  conflictRate: number;
  corrections: { received: number; verified: number; verifiedOnTime: number; corrected: number; correctedOnTime: number; overdue: number };
  applications: { received: number; answered: number; answeredOnTime: number };
  catalogChanges: { made: number; onTime: number };
  /** Other principals that used its data (audit trail), and how many uses. */
  usedBy: number;
  uses: number;
}

export interface ScorecardReport {
  period: string;
  from: string;
  to: string;
  /** The period's first and last day in China (to is exclusive). */
  firstDay: string;
  lastDay: string;
  rows: Scorecard[];
}

/** A month (YYYY-MM) or a year (YYYY, the annual report of Zhongshan 35), in China time. */
export function periodRange(period: string): { from: Date; to: Date } {
  const m = /^(\d{4})(?:-(0[1-9]|1[0-2]))?$/.exec(period);
  if (!m) throw new HubError('HUB_ERR_VALIDATION', `period: "${period}" is neither YYYY-MM nor YYYY`);
  const year = Number(m[1]);
  const month = m[2] ? Number(m[2]) : null;
  const at = (y: number, mo: number) => new Date(`${y}-${String(mo).padStart(2, '0')}-01T00:00:00+08:00`);
  if (month === null) return { from: at(year, 1), to: at(year + 1, 1) };
  return { from: at(year, month), to: month === 12 ? at(year + 1, 1) : at(year, month + 1) };
}

/** A department's card before anything is counted. */
export function emptyScorecard(department: string): Scorecard {
  return {
    department,
    recordsProvided: 0,
    datasets: 0,
    datasetsFresh: 0,
    invalid: 0,
    invalidRate: 0,
    conflicts: 0,
    conflictRate: 0,
    corrections: { received: 0, verified: 0, verifiedOnTime: 0, corrected: 0, correctedOnTime: 0, overdue: 0 },
    applications: { received: 0, answered: 0, answeredOnTime: 0 },
    catalogChanges: { made: 0, onTime: 0 },
    usedBy: 0,
    uses: 0,
  };
}

const rate = (n: number, of: number) => (of === 0 ? 0 : Math.round((n / of) * 10_000) / 10_000);

/** Each department's assessment for a period (Fuzhou 33-35, Hefei 27, Zhongshan 34-35), read from each area's own service. */
export function createScorecards({
  pool,
  catalog,
  alerts,
  corrections,
  sharing,
  freshness,
  audit,
  schemaPrefix,
}: {
  pool: Pool;
  catalog: CatalogService;
  alerts: AlertStore;
  corrections: CorrectionStore;
  sharing: SharingService;
  freshness: FreshnessWatcher;
  audit: AuditLog;
  schemaPrefix: string;
}): { report(period: string, only?: string): Promise<ScorecardReport> } {
  return {
    async report(period, only) {
      const { from, to } = periodRange(period);
      const entries = (await catalog.active()).filter((e) => only === undefined || e.provider === only);
      const departments = [...new Set(entries.map((e) => e.provider))].sort();
      const card = new Map<string, Scorecard>(departments.map((d) => [d, emptyScorecard(d)]));
      for (const dataset of new Set(entries.map((e) => e.dataset))) {
        const table = landingTableOf(await catalog.contractOf(dataset), schemaPrefix);
        for (const [provider, n] of await landedByProvider(pool, table, from, to)) {
          const c = card.get(provider);
          if (c) c.recordsProvided += n.landed + n.quarantined;
        }
      }
      const stale = (await freshness.list({})).filter(
        (a) => Date.parse(a.detectedAt) < to.getTime() && (a.resolvedAt === null || Date.parse(a.resolvedAt) >= from.getTime()),
      );
      for (const e of entries) {
        const c = card.get(e.provider)!;
        c.datasets += 1;
        if (!stale.some((a) => a.entryId === e.id)) c.datasetsFresh += 1;
        for (const v of await catalog.versions(e.id)) {
          const at = Date.parse(v.changedAt);
          if (at < from.getTime() || at >= to.getTime()) continue;
          c.catalogChanges.made += 1;
          if (chinaDate(new Date(at)) <= v.deadline) c.catalogChanges.onTime += 1;
        }
      }
      // A department's own card counts the conflicts it may see: the others would be an oracle of other providers' values.
      for (const [provider, n] of await alerts.countsByProvider(from, to, { routedConflictsOnly: only !== undefined })) {
        const c = card.get(provider);
        if (!c) continue;
        c.invalid = n.invalid;
        c.conflicts = n.conflicts;
      }
      const now = Date.now();
      for (const r of await corrections.createdBetween(from, to)) {
        const c = card.get(r.provider);
        if (!c) continue;
        c.corrections.received += 1;
        if (r.verifiedAt) c.corrections.verified += 1;
        if (r.verifiedAt && Date.parse(r.verifiedAt) <= Date.parse(r.verifyDueAt)) c.corrections.verifiedOnTime += 1;
        if (r.correctedAt) c.corrections.corrected += 1;
        if (r.correctedAt && (r.correctDueAt === null || Date.parse(r.correctedAt) <= Date.parse(r.correctDueAt))) c.corrections.correctedOnTime += 1;
        if (r.escalatedAt || (r.status === 'open' && Date.parse(r.verifyDueAt) < now)) c.corrections.overdue += 1;
      }
      for (const c of card.values()) {
        for (const a of await sharing.applications({ provider: c.department })) {
          const at = Date.parse(a.createdAt);
          if (at < from.getTime() || at >= to.getTime()) continue;
          c.applications.received += 1;
          if (a.decidedAt) c.applications.answered += 1;
          if (a.decidedAt && (a.answerDue === null || Date.parse(a.decidedAt) <= Date.parse(a.answerDue))) c.applications.answeredOnTime += 1;
        }
        const usage = await audit.usageOf(c.department, { from: from.toISOString(), to: to.toISOString() });
        // Use by other departments and consumers; stewards' and the authority's oversight is not use.
        const others = usage.uses.filter((u) => u.actor !== c.department && (u.actorRole === 'consumer' || u.actorRole === 'department'));
        c.usedBy = new Set(others.map((u) => u.actor)).size;
        c.uses = others.reduce((sum, u) => sum + u.count, 0);
        c.invalidRate = rate(c.invalid, c.recordsProvided);
        c.conflictRate = rate(c.conflicts, c.recordsProvided);
      }
      return {
        period,
        from: from.toISOString(),
        to: to.toISOString(),
        firstDay: chinaDate(from),
        lastDay: chinaDate(new Date(to.getTime() - 1)),
        rows: [...card.values()],
      };
    },
  };
}

const csvColumns: [string, (s: Scorecard) => string | number][] = [
  ['部门 department', (s) => s.department],
  ['提供记录数 records_provided', (s) => s.recordsProvided],
  ['数据集 datasets', (s) => s.datasets],
  ['按时更新数据集 datasets_fresh', (s) => s.datasetsFresh],
  ['校验失败 invalid', (s) => s.invalid],
  ['校验失败率 invalid_rate', (s) => s.invalidRate],
  ['冲突 conflicts', (s) => s.conflicts],
  ['冲突率 conflict_rate', (s) => s.conflictRate],
  ['收到纠错 corrections_received', (s) => s.corrections.received],
  ['按时核实 verified_on_time', (s) => s.corrections.verifiedOnTime],
  ['已更正 corrected', (s) => s.corrections.corrected],
  ['按时更正 corrected_on_time', (s) => s.corrections.correctedOnTime],
  ['超期 overdue', (s) => s.corrections.overdue],
  ['收到申请 applications_received', (s) => s.applications.received],
  ['按时答复 answered_on_time', (s) => s.applications.answeredOnTime],
  ['目录变更 catalog_changes', (s) => s.catalogChanges.made],
  ['按时变更 catalog_changes_on_time', (s) => s.catalogChanges.onTime],
  ['使用方 used_by', (s) => s.usedBy],
  ['使用次数 uses', (s) => s.uses],
];

/** CSV with a BOM (spreadsheet programs then read the Chinese headers as UTF-8); a cell that would run as a formula is quoted as text. */
export function scorecardCsv(report: ScorecardReport): string {
  return stringify([csvColumns.map(([h]) => h), ...report.rows.map((r) => csvColumns.map(([, f]) => f(r)))], {
    bom: true,
    escape_formulas: true,
    record_delimiter: 'windows',
  });
}
