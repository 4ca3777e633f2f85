import type { CurrentRow, FieldLineage } from './landing/rows.ts';

export interface IncomingRecord {
  provider: string;
  values: Readonly<Record<string, unknown>>;
  source: Omit<FieldLineage, 'provider' | 'authoritative' | 'provisional'>;
}

export interface Conflict {
  field: string;
  authority: string;
  authorityValue: unknown;
  provider: string;
  value: unknown;
}

export interface MergeResult {
  row: Omit<CurrentRow, 'version'>;
  changed: boolean;
  conflicts: Conflict[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * 一数一源、多源校核: merges one provider's record into the entity's current state.
 * - A field whose authority (per the catalog) is this provider takes its value.
 * - A field whose authority has spoken keeps the authority's value; a different value from
 *   another provider is a conflict, never an overwrite.
 * - A field whose authority has not spoken yet is filled from whoever has it, marked provisional.
 * - A field with no named authority takes the latest value.
 * A null never erases a value: absence of data is not a correction.
 */
export function mergeRecord({ key, current, incoming, authorities }: { key: string; current: Omit<CurrentRow, 'version'> | undefined; incoming: IncomingRecord; authorities: ReadonlyMap<string, string> }): MergeResult {
  const values: Record<string, unknown> = { ...(current?.values ?? {}) };
  const lineage: Record<string, FieldLineage> = { ...(current?.lineage ?? {}) };
  const conflicts: Conflict[] = [];
  let changed = current === undefined;
  for (const [field, value] of Object.entries(incoming.values)) {
    if (value === null || value === undefined) continue;
    const authority = authorities.get(field);
    const had = lineage[field];
    const take = (authoritative: boolean, provisional: boolean) => {
      const next: FieldLineage = { ...incoming.source, provider: incoming.provider, authoritative, provisional };
      if (!same(values[field], value) || had?.provisional !== provisional || had?.authoritative !== authoritative || had?.provider !== incoming.provider) {
        changed = changed || !same(values[field], value) || had?.provisional !== provisional;
        values[field] = value;
        lineage[field] = next;
      }
    };
    if (authority === undefined) take(false, false);
    else if (authority === incoming.provider) take(true, false);
    else if (had?.authoritative) {
      if (!same(values[field], value)) conflicts.push({ field, authority, authorityValue: values[field], provider: incoming.provider, value });
    } else take(false, true);
  }
  const provisional = Object.entries(lineage).filter(([, l]) => l.provisional).map(([f]) => f).sort();
  return { row: { key, values, lineage, provisional }, changed, conflicts };
}
