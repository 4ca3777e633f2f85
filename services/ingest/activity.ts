import type { Pool } from '../platform/db/pool.ts';
import type { IngestPath } from '../contract/headers.ts';

/** When each catalog entry last received data; new data resolves its open freshness alert. */
export interface ActivityStore {
  record(entryId: string, count: number, path: IngestPath, lastRecordAt: Date): Promise<void>;
}

export function createActivityStore({ pool }: { pool: Pool }): ActivityStore {
  return {
    async record(entryId, count, path, lastRecordAt) {
      await pool.query(
        `WITH seen AS (
           INSERT INTO dataset_activity (entry_id, last_record_at, last_path, records_total) VALUES ($1, $2, $3, $4)
           ON CONFLICT (entry_id) DO UPDATE SET
             last_record_at = GREATEST(dataset_activity.last_record_at, EXCLUDED.last_record_at),
             last_path = EXCLUDED.last_path,
             records_total = dataset_activity.records_total + EXCLUDED.records_total
           RETURNING entry_id)
         UPDATE freshness_alerts SET resolved_at = now() WHERE entry_id = (SELECT entry_id FROM seen) AND resolved_at IS NULL`,
        [entryId, lastRecordAt, path, count],
      );
    },
  };
}
