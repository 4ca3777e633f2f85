import type { Pool } from './pool.ts';
import { quoteIdent } from './pool.ts';

/**
 * The role the hub's requests run as: it logs in, is no superuser and owns none of the hub's
 * tables, so it cannot switch off audit_log's append-only trigger, and may only INSERT and SELECT
 * there. It may create the landing schemas (cleansing evolves their tables). The owner (the
 * DATABASE_URL user) keeps migrations and this set-up.
 */
export async function ensureAppRole(
  owner: Pool,
  { role, password, schema, landingSchemas }: { role: string; password: string; schema: string; landingSchemas: readonly string[] },
): Promise<void> {
  const r = quoteIdent(role);
  const s = quoteIdent(schema);
  try {
    await owner.query(`CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION`);
  } catch (err) {
    // Another hub instance (or test) created it first.
    if ((err as { code?: string }).code !== '42710') throw err;
  }
  const { rows } = await owner.query<{ literal: string; db: string }>('SELECT quote_literal($1) AS literal, current_database() AS db', [password]);
  await owner.query(`ALTER ROLE ${r} WITH LOGIN NOSUPERUSER PASSWORD ${rows[0]!.literal}`);
  await owner.query(`GRANT CONNECT, CREATE ON DATABASE ${quoteIdent(rows[0]!.db)} TO ${r}`);
  await owner.query(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
  await owner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`);
  await owner.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`);
  await owner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${s}.audit_log FROM ${r}`);
  for (const landing of landingSchemas) {
    const exists = await owner.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [landing]);
    if (exists.rowCount === 0) continue;
    // Landing schemas made before the role existed: the role takes them over, as it would have made them.
    await owner.query(`GRANT ALL ON SCHEMA ${quoteIdent(landing)} TO ${r}`);
    await owner.query(`GRANT ALL ON ALL TABLES IN SCHEMA ${quoteIdent(landing)} TO ${r}`);
  }
}
