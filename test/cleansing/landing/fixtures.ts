import { quoteIdent, type Pool } from '../../../services/platform/db/pool.ts';
import type { DatasetSchema } from '../../../services/contract/dataset-schema.ts';
import type { FieldLineage, HistoryEntry } from '../../../services/cleansing/landing/rows.ts';

export function keyOf(schema: DatasetSchema, values: Readonly<Record<string, unknown>>): string {
  return schema.businessKey.map((k) => String(values[k])).join('|');
}

export function lineageOf(values: Readonly<Record<string, unknown>>, offset = '41'): Record<string, FieldLineage> {
  const one: FieldLineage = {
    provider: 'psb',
    topic: 'raw.psb.base.natural_person',
    partition: 2,
    offset,
    recordId: `rec-${offset}`,
    eventTime: '2024-05-10T01:30:00.000Z',
    authoritative: true,
    provisional: false,
  };
  return Object.fromEntries(Object.keys(values).map((field) => [field, one]));
}

export function historyOf(key: string, values: Record<string, unknown>, offset: string, change: HistoryEntry['change'] = 'insert'): HistoryEntry {
  return {
    key,
    values,
    original: { ...values, note: '原始记录' },
    provider: 'psb',
    topic: 'raw.psb.base.natural_person',
    partition: 2,
    offset,
    recordId: `rec-${offset}`,
    eventTime: '2024-05-10T09:30:00.123+08:00',
    change,
    findings: change === 'quarantined' ? [{ field: 'phone', rule: 'phone-cn' }] : [],
  };
}

/** Drops every landing schema a test created under its prefix. */
export async function dropLandingSchemas(pool: Pool, prefix: string): Promise<void> {
  const { rows } = await pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)', [prefix]);
  for (const r of rows) await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(r.nspname)} CASCADE`);
}
