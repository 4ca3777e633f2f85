import { randomUUID } from 'node:crypto';
import { ingestHeaders } from '../../contract/headers.ts';
import { headerText } from '../../contract/raw-record.ts';
import type { AlertSource, QualityAlert } from '../alerts.ts';
import type { CurrentRow, HistoryEntry } from '../landing/rows.ts';
import { type Conflict, mergeRecord } from '../merge.ts';
import type { Finding } from '../rules/index.ts';
import type { Candidate } from './check.ts';

type Row = CurrentRow;

export interface MergeInput {
  source: { dataset: string; provider: string; topic: string; partition: number };
  /** The chunk's records not yet landed, in offset order. */
  todo: readonly Candidate[];
  /** The last hash each key's source landed (Postgres' truth); updated as records are taken. */
  truth: Map<string, string>;
  current: ReadonlyMap<string, Row>;
  /** field → its authoritative provider. */
  authorities: ReadonlyMap<string, string>;
}

export interface MergeOutput {
  /** Rows whose merged state changed, with their new versions. */
  rows: Row[];
  history: HistoryEntry[];
  alerts: QualityAlert[];
  /** The hash of each key's record taken in this chunk. */
  taken: Map<string, string>;
  duplicates: number;
  invalid: number;
  warnings: number;
  conflicts: number;
  landed: number;
}

function alert(partial: Omit<QualityAlert, 'id' | 'detectedAt' | 'status'>): QualityAlert {
  return { ...partial, id: randomUUID(), detectedAt: new Date().toISOString(), status: 'open' };
}

function findingAlert(dataset: string, key: string, provider: string, f: Finding, authoritative: boolean, source: AlertSource): QualityAlert {
  return alert({
    kind: f.severity === 'error' ? 'invalid' : 'warning',
    severity: f.severity,
    dataset,
    key,
    fields: [f.field],
    values: [{ provider, field: f.field, value: f.value, authoritative }],
    rule: f.rule,
    message: f.message,
    sources: [source],
  });
}

function conflictAlert(dataset: string, key: string, conflict: Conflict): QualityAlert {
  const { field, kept, other } = conflict;
  return alert({
    kind: 'conflict',
    severity: 'warning',
    dataset,
    key,
    fields: [field],
    values: [
      { provider: kept.provider, field, value: kept.value, authoritative: kept.authoritative },
      { provider: other.provider, field, value: other.value, authoritative: false },
    ],
    rule: kept.authoritative ? 'authoritative-source' : 'first-source',
    // No values in the message: a department's view redacts the other provider's values.
    message: conflict.replacedProvisional
      ? `the authoritative source ${kept.provider} contradicts the provisional value of ${field} from ${other.provider}; the authoritative value replaces it`
      : kept.authoritative
        ? `${other.provider} disagrees on ${field} with the authoritative source ${kept.provider}; the authoritative value is kept`
        : `${other.provider} disagrees on ${field} with ${kept.provider}, whose value came first and has no authoritative source yet; it is kept until the data authority decides`,
    sources: [
      { provider: kept.provider, ...kept.source },
      { provider: other.provider, ...other.source },
    ],
  });
}

/**
 * Merge: each record, in offset order, is a retransmission (dropped), invalid (quarantined in
 * history, alerted) or merged into its entity's current state under the field authorities
 * (一数一源、多元校核), its conflicts alerted; every taken record is a history row.
 */
export function mergeChunk({ source, todo, truth, current, authorities }: MergeInput): MergeOutput {
  const { dataset, provider, topic, partition } = source;
  const state = new Map(current);
  const changed = new Set<string>();
  const out: MergeOutput = { rows: [], history: [], alerts: [], taken: new Map(), duplicates: 0, invalid: 0, warnings: 0, conflicts: 0, landed: 0 };
  for (const c of todo) {
    if (truth.get(c.key) === c.hash) {
      out.duplicates++;
      continue;
    }
    truth.set(c.key, c.hash);
    out.taken.set(c.key, c.hash);
    const where = { provider, topic, partition, offset: c.message.offset };
    const recordId = headerText(c.message.headers, ingestHeaders.recordId) ?? null;
    const eventTime = headerText(c.message.headers, ingestHeaders.eventTime) ?? null;
    const base = { key: c.key, values: c.value, original: c.original, provider, topic, partition, offset: c.message.offset, recordId, eventTime };
    for (const f of c.findings) out.alerts.push(findingAlert(dataset, c.key, provider, f, authorities.get(f.field) === provider, where));
    if (c.findings.some((f) => f.severity === 'error')) {
      out.invalid++;
      out.history.push({ ...base, change: 'quarantined', findings: c.findings });
      continue;
    }
    if (c.findings.some((f) => f.severity === 'warning')) out.warnings++;
    const before = state.get(c.key);
    const merged = mergeRecord({
      key: c.key,
      current: before,
      incoming: { provider, values: c.value, source: { topic, partition, offset: c.message.offset, recordId, eventTime } },
      authorities,
    });
    for (const conflict of merged.conflicts) out.alerts.push(conflictAlert(dataset, c.key, conflict));
    out.conflicts += merged.conflicts.length;
    out.history.push({ ...base, change: before === undefined ? 'insert' : merged.changed ? 'update' : 'no-change', findings: c.findings });
    if (merged.changed || before === undefined) {
      state.set(c.key, { ...merged.row, version: (before?.version ?? 0) + 1 });
      changed.add(c.key);
    } else {
      state.set(c.key, { ...merged.row, version: before.version });
    }
    out.landed++;
  }
  out.rows = [...changed].map((k) => state.get(k)!);
  return out;
}
