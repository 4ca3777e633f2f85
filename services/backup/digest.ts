import type { PoolClient } from '../platform/db/pool.ts';
import { quoteIdent } from '../platform/db/pool.ts';

export interface TableDigest {
  rows: number;
  /** md5 over the md5 of each row's text, sorted: independent of physical order, equal after a restore. */
  checksum: string;
}

/**
 * Every table of `schemas` with its row count and checksum, read in the caller's transaction (a
 * backup's snapshot, or a restored database). Rows as text in UTC, so the session's time zone
 * cannot change a checksum.
 */
export async function digestTables(client: PoolClient, schemas: readonly string[]): Promise<Record<string, TableDigest>> {
  await client.query(`SET LOCAL TimeZone = 'UTC'`);
  const { rows: tables } = await client.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
    [schemas],
  );
  const out: Record<string, TableDigest> = {};
  for (const t of tables) {
    const qualified = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    const { rows } = await client.query<{ rows: string; checksum: string }>(
      `SELECT count(*) AS rows, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS checksum FROM (SELECT md5(t::text) AS h FROM ${qualified} t) x`,
    );
    out[`${t.schema}.${t.name}`] = { rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum };
  }
  return out;
}
