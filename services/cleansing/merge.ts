import type { CurrentRow, FieldLineage } from './landing/rows.ts';

export interface IncomingRecord {
  provider: string;
  values: Readonly<Record<string, unknown>>;
  source: Omit<FieldLineage, 'provider' | 'authoritative' | 'provisional'>;
}

/** Two providers disagree on a field: `kept` stays landed, `other` is only reported. */
export interface Conflict {
  field: string;
  kept: { provider: string; value: unknown; authoritative: boolean; source: Pick<FieldLineage, 'topic' | 'partition' | 'offset'> };
  other: { provider: string; value: unknown; source: Pick<FieldLineage, 'topic' | 'partition' | 'offset'> };
  /** The authority's value replaced another provider's provisional one. */
  replacedProvisional: boolean;
}

export interface MergeResult {
  row: Omit<CurrentRow, 'version'>;
  changed: boolean;
  conflicts: Conflict[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const where = (l: Pick<FieldLineage, 'topic' | 'partition' | 'offset'>) => ({ topic: l.topic, partition: l.partition, offset: l.offset });

/**
 * 一数一源、多元校核: merges one provider's record into the entity's current state. Nobody
 * overwrites another provider's value, whichever order records arrive in:
 * - the field's authority (named in the contract) sets it; if it contradicts another provider's
 *   provisional value, that is a conflict too;
 * - any other provider fills a field that has no value yet, marked provisional, and may update its
 *   own provisional value; a value that differs from someone else's is a conflict, never an overwrite.
 * A null never erases a value: absence of data is not a correction.
 */
export function mergeRecord({
  key,
  current,
  incoming,
  authorities,
}: {
  key: string;
  current: Omit<CurrentRow, 'version'> | undefined;
  incoming: IncomingRecord;
  authorities: ReadonlyMap<string, string>;
}): MergeResult {
  const values: Record<string, unknown> = { ...(current?.values ?? {}) };
  const lineage: Record<string, FieldLineage> = { ...(current?.lineage ?? {}) };
  const conflicts: Conflict[] = [];
  let changed = current === undefined;
  for (const [field, value] of Object.entries(incoming.values)) {
    if (value === null || value === undefined) continue;
    const had = lineage[field];
    const take = (authoritative: boolean) => {
      const provisional = !authoritative;
      if (!same(values[field], value) || had?.provisional !== provisional || had?.authoritative !== authoritative || had?.provider !== incoming.provider) {
        changed = changed || !same(values[field], value) || had?.provisional !== provisional;
        values[field] = value;
        lineage[field] = { ...incoming.source, provider: incoming.provider, authoritative, provisional };
      }
    };
    const hasValue = had !== undefined && values[field] !== null && values[field] !== undefined;
    if (authorities.get(field) === incoming.provider) {
      if (hasValue && had.provider !== incoming.provider && !same(values[field], value)) {
        conflicts.push({
          field,
          kept: { provider: incoming.provider, value, authoritative: true, source: where(incoming.source) },
          other: { provider: had.provider, value: values[field], source: where(had) },
          replacedProvisional: true,
        });
      }
      take(true);
    } else if (!hasValue || had.provider === incoming.provider) {
      take(false);
    } else if (!same(values[field], value)) {
      conflicts.push({
        field,
        kept: { provider: had.provider, value: values[field], authoritative: had.authoritative, source: where(had) },
        other: { provider: incoming.provider, value, source: where(incoming.source) },
        replacedProvisional: false,
      });
    }
  }
  const provisional = Object.entries(lineage)
    .filter(([, l]) => l.provisional)
    .map(([f]) => f)
    .sort();
  return { row: { key, values, lineage, provisional }, changed, conflicts };
}
