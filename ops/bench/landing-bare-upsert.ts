import type { Pool } from '../../services/platform/db/pool.ts';
import { benchSchemaPrefix, dropBenchSchemas, personKey, personValues } from './landing-dataset.ts';

const columns = [
  ['id_number', 'text'],
  ['name', 'text'],
  ['gender', 'text'],
  ['ethnicity_code', 'text'],
  ['birth_date', 'date'],
  ['household_region_code', 'text'],
  ['household_address', 'text'],
  ['residence_address', 'text'],
  ['phone', 'text'],
  ['marital_status', 'text'],
  ['education_code', 'text'],
  ['registration_status', 'text'],
  ['death_date', 'date'],
  ['updated_at', 'timestamptz'],
] as const;

/** A placeholder turning the Avro-style wire value into the column type, as landing does. */
function placeholder(type: string, n: number): string {
  if (type === 'date') return `(date '1970-01-01' + $${n}::int)`;
  if (type === 'timestamptz') return `to_timestamp($${n}::float8 / 1000)`;
  return `$${n}`;
}

/**
 * Rows per second of the plainest batched upsert of natural_person-like rows: one multi-row
 * INSERT ... VALUES ... ON CONFLICT (_key) DO UPDATE per batch, autocommit, one connection, into a
 * table with the same columns and nothing else (no lineage, version, history or change check).
 */
export async function bareUpsertRate({ pool, rows, batch }: { pool: Pool; rows: number; batch: number }): Promise<number> {
  const prefix = benchSchemaPrefix();
  const table = `"${prefix}bare".natural_person`;
  const perRow = columns.length + 1;
  const statementFor = (size: number) => {
    const tuples = Array.from(
      { length: size },
      (_, r) => `($${r * perRow + 1}, ${columns.map(([, type], c) => placeholder(type, r * perRow + c + 2)).join(', ')})`,
    );
    return `INSERT INTO ${table} (_key, ${columns.map(([name]) => name).join(', ')}) VALUES ${tuples.join(', ')}
      ON CONFLICT (_key) DO UPDATE SET ${columns.map(([name]) => `${name} = excluded.${name}`).join(', ')}`;
  };
  const upsert = async (from: number, size: number) => {
    const values: unknown[] = [];
    for (let i = from; i < from + size; i++) {
      const v = personValues(i);
      values.push(personKey(i), ...columns.map(([name]) => v[name]));
    }
    await pool.query(statementFor(size), values);
  };
  try {
    await pool.query(`CREATE SCHEMA "${prefix}bare"`);
    await pool.query(`CREATE TABLE ${table} (_key text PRIMARY KEY, ${columns.map(([name, type]) => `${name} ${type}`).join(', ')})`);
    // Warm-up (connection, plan, JIT) on keys outside the measured range.
    await upsert(rows + 1, batch);
    const started = performance.now();
    for (let from = 0; from < rows; from += batch) await upsert(from, Math.min(batch, rows - from));
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await dropBenchSchemas(pool, prefix);
  }
}
