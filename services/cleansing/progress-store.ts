import type { Pool, PoolClient } from '../platform/db/pool.ts';

/** What one chunk did, per category, as the counts of its dataset and provider. */
export interface ChunkCounts {
  recordsIn: number;
  duplicates: number;
  invalid: number;
  warnings: number;
  conflicts: number;
  landed: number;
}

export interface DatasetCounts extends ChunkCounts {
  dataset: string;
  provider: string;
}

/**
 * The cleansing group's progress: the next offset of each raw partition and the counts per dataset
 * and provider, both written in the landing transaction (tables cleansing_offsets and
 * cleansing_counts), so a crash neither loses nor repeats a record or a count.
 */
export interface ProgressStore {
  /** Locks the partition's row until the transaction ends and returns its next offset. */
  lock(client: PoolClient, topic: string, partition: number): Promise<bigint>;
  /** Moves the partition past the chunk and adds the chunk's counts. */
  advance(
    client: PoolClient,
    p: { topic: string; partition: number; nextOffset: bigint; dataset: string; provider: string; counts: ChunkCounts },
  ): Promise<void>;
  counts(): Promise<DatasetCounts[]>;
  /** Drops every group's raw-topic offsets, for a hub restored onto a new cluster whose raw topics start at 0. Returns the partitions dropped. */
  forgetOffsets(): Promise<number>;
}

export function createProgressStore({ pool, groupId }: { pool: Pool; groupId: string }): ProgressStore {
  return {
    async lock(client, topic, partition) {
      await client.query('INSERT INTO cleansing_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING', [
        groupId,
        topic,
        partition,
      ]);
      const { rows } = await client.query<{ next_offset: string }>(
        'SELECT next_offset FROM cleansing_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
        [groupId, topic, partition],
      );
      return BigInt(rows[0]?.next_offset ?? '0');
    },
    async advance(client, { topic, partition, nextOffset, dataset, provider, counts: c }) {
      await client.query(
        `INSERT INTO cleansing_counts (dataset, provider, records_in, duplicates, invalid, warnings, conflicts, landed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (dataset, provider) DO UPDATE SET records_in = cleansing_counts.records_in + $3, duplicates = cleansing_counts.duplicates + $4,
           invalid = cleansing_counts.invalid + $5, warnings = cleansing_counts.warnings + $6, conflicts = cleansing_counts.conflicts + $7,
           landed = cleansing_counts.landed + $8, updated_at = now()`,
        [dataset, provider, c.recordsIn, c.duplicates, c.invalid, c.warnings, c.conflicts, c.landed],
      );
      await client.query('UPDATE cleansing_offsets SET next_offset = $4, updated_at = now() WHERE group_id = $1 AND topic = $2 AND partition = $3', [
        groupId,
        topic,
        partition,
        nextOffset.toString(),
      ]);
    },
    async forgetOffsets() {
      const { rowCount } = await pool.query('DELETE FROM cleansing_offsets');
      return rowCount ?? 0;
    },
    async counts() {
      const { rows } = await pool.query<{
        dataset: string;
        provider: string;
        records_in: string;
        duplicates: string;
        invalid: string;
        warnings: string;
        conflicts: string;
        landed: string;
      }>('SELECT * FROM cleansing_counts ORDER BY dataset, provider');
      return rows.map((r) => ({
        dataset: r.dataset,
        provider: r.provider,
        recordsIn: Number(r.records_in),
        duplicates: Number(r.duplicates),
        invalid: Number(r.invalid),
        warnings: Number(r.warnings),
        conflicts: Number(r.conflicts),
        landed: Number(r.landed),
      }));
    },
  };
}
