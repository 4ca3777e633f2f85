import type { PoolClient } from '../../platform/db/pool.ts';
import { appendHistory, type CurrentRow, type HistoryEntry, upsertCurrent } from '../landing/rows.ts';
import type { LandingTable } from '../landing/tables.ts';

/** Land: the changed current rows (batched upsert by business key) and every history row. */
export async function landChunk(client: PoolClient, table: LandingTable, rows: readonly CurrentRow[], history: readonly HistoryEntry[]): Promise<void> {
  await upsertCurrent(
    client,
    table,
    rows.map(({ version: _v, ...r }) => r),
  );
  await appendHistory(client, table, history);
}
