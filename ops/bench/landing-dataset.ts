import { randomBytes } from 'node:crypto';
import { quoteIdent, type Pool } from '../../services/platform/db/pool.ts';
import type { FieldLineage, HistoryEntry } from '../../services/cleansing/landing/rows.ts';
import { rawTopic } from '../../services/contract/names.ts';

/** A fresh prefix for the bench's own Postgres schemas, dropped again by dropBenchSchemas. */
export function benchSchemaPrefix(): string {
  return `bench_landing_${randomBytes(3).toString('hex')}_`;
}

export async function dropBenchSchemas(pool: Pool, prefix: string): Promise<void> {
  const { rows } = await pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)', [prefix]);
  for (const r of rows) await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(r.nspname)} CASCADE`);
}

/** An 18-digit identity-number-like business key; even numbers are taken by prefilled rows. */
export function personKey(n: number): string {
  return String(n).padStart(18, '0');
}

const dayMs = 86_400_000;
const genders = ['MALE', 'FEMALE'] as const;

/** A base.natural_person record as the cleansing service lands it (Avro-style values). */
export function personValues(n: number): Record<string, unknown> {
  return {
    id_number: personKey(n),
    name: `张${n % 1000}`,
    gender: genders[n % 2],
    ethnicity_code: '01',
    birth_date: Date.UTC(1950, 0, 1) / dayMs + (n % 25_000),
    household_region_code: '340104',
    household_address: `安徽省合肥市蜀山区长江西路${n % 999}号`,
    residence_address: n % 3 === 0 ? null : `安徽省合肥市包河区徽州大道${n % 1777}号`,
    phone: `139${String(n % 100_000_000).padStart(8, '0')}`,
    marital_status: 'MARRIED',
    education_code: '21',
    registration_status: 'NORMAL',
    death_date: null,
    updated_at: Date.UTC(2024, 0, 1) + n * 1000,
  };
}

/** Every field from one department's record at one offset: what a single-provider key carries. */
export function personLineage(values: Readonly<Record<string, unknown>>, offset: number): Record<string, FieldLineage> {
  const one: FieldLineage = {
    provider: 'psb',
    topic: rawTopic('psb', 'base.natural_person'),
    partition: offset % 6,
    offset: String(offset),
    recordId: `3f1c9a52-7b0e-4d8a-9c1e-${String(offset).padStart(12, '0')}`,
    eventTime: new Date(Date.UTC(2024, 4, 1) + offset).toISOString(),
    authoritative: true,
    provisional: false,
  };
  return Object.fromEntries(Object.keys(values).map((field) => [field, one]));
}

export function personHistory(key: string, values: Record<string, unknown>, offset: number): HistoryEntry {
  return {
    key,
    values,
    original: values,
    provider: 'psb',
    topic: rawTopic('psb', 'base.natural_person'),
    partition: offset % 6,
    offset: String(offset),
    recordId: `3f1c9a52-7b0e-4d8a-9c1e-${String(offset).padStart(12, '0')}`,
    eventTime: new Date(Date.UTC(2024, 4, 1) + offset).toISOString(),
    change: 'insert',
    findings: [],
  };
}

/**
 * `count` distinct odd numbers spread over [0, 2 * span): keys that land between the prefilled
 * (even) ones all over the index, as real identity numbers would.
 */
export function spreadOddNumbers(count: number, span: number, seed: number): number[] {
  const out = new Set<number>();
  let x = seed >>> 0 || 1;
  while (out.size < count) {
    // xorshift32: deterministic, so two runs land the same keys.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.add(2 * (x % span) + 1);
  }
  return [...out];
}
