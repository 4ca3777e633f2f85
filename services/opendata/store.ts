import { withTransaction, type Pool, type PoolClient } from '../platform/db/pool.ts';
import { HubError } from '../platform/errors.ts';
import type { PublishedField } from './policy.ts';

export type ReviewStatus = 'pending' | 'approved' | 'rejected';

export interface OpenDatasetRow {
  dataset: string;
  openType: 'open' | 'on_application';
  licence: string;
  description: string | null;
  status: ReviewStatus;
  requestedBy: string;
  requestedAt: string;
  reviewedBy: string | null;
  reviewedAt: string | null;
  reviewReason: string | null;
  snapshotId: number | null;
  publishedAt: string | null;
  sourceMark: string | null;
}

export interface Snapshot {
  id: number;
  dataset: string;
  fields: PublishedField[];
  rowCount: number;
  sourceMark: string;
  createdAt: string;
}

interface Row {
  dataset: string;
  open_type: 'open' | 'on_application';
  licence: string;
  description: string | null;
  status: ReviewStatus;
  requested_by: string;
  requested_at: Date;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  review_reason: string | null;
  snapshot_id: string | null;
  published_at: Date | null;
  source_mark: string | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function toDataset(r: Row): OpenDatasetRow {
  return {
    dataset: r.dataset,
    openType: r.open_type,
    licence: r.licence,
    description: r.description,
    status: r.status,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at.toISOString(),
    reviewedBy: r.reviewed_by,
    reviewedAt: iso(r.reviewed_at),
    reviewReason: r.review_reason,
    snapshotId: r.snapshot_id === null ? null : Number(r.snapshot_id),
    publishedAt: iso(r.published_at),
    sourceMark: r.source_mark,
  };
}

/** A snapshot's rows: one table per snapshot, so that a superseded one is dropped, not deleted row by row. */
export const snapshotTable = (id: number) => `open_rows_${id}`;

/** open_datasets, open_snapshots (with each snapshot's rows table) and open_downloads. */
export interface OpenStore {
  request(input: { dataset: string; openType: 'open' | 'on_application'; licence: string; description: string | null; by: string }): Promise<OpenDatasetRow>;
  review(dataset: string, decision: { approve: boolean; reason: string; by: string }, db?: PoolClient): Promise<OpenDatasetRow>;
  get(dataset: string): Promise<OpenDatasetRow | null>;
  list(filter?: { datasets?: readonly string[]; status?: ReviewStatus }): Promise<OpenDatasetRow[]>;
  snapshot(id: number): Promise<Snapshot | null>;
  /** A new snapshot id and its (empty) rows table. */
  startSnapshot(dataset: string, fields: readonly PublishedField[], sourceMark: string): Promise<number>;
  appendRows(id: number, firstRow: number, rows: readonly Record<string, unknown>[]): Promise<void>;
  /** Makes the snapshot the dataset's current one; drops snapshots older than the one it replaces. */
  finishSnapshot(id: number, dataset: string, rowCount: number, sourceMark: string): Promise<void>;
  discardSnapshot(id: number): Promise<void>;
  countDownload(dataset: string, format: string): Promise<void>;
  downloads(datasets: readonly string[]): Promise<Map<string, { total: number; byFormat: Record<string, number> }>>;
}

export function createOpenStore({ pool }: { pool: Pool }): OpenStore {
  const one = async (sql: string, params: unknown[], db: Pool | PoolClient = pool) => {
    const { rows } = await db.query<Row>(sql, params);
    if (!rows[0]) throw new HubError('HUB_ERR_NOT_FOUND', `no open-data request for ${String(params[0])}`);
    return toDataset(rows[0]);
  };
  return {
    request: ({ dataset, openType, licence, description, by }) =>
      // A new request (or a change of terms) goes back to the authority; the current snapshot stays until a decision.
      one(
        `INSERT INTO open_datasets (dataset, open_type, licence, description, status, requested_by)
         VALUES ($1, $2, $3, $4, 'pending', $5)
         ON CONFLICT (dataset) DO UPDATE SET open_type = excluded.open_type, licence = excluded.licence, description = excluded.description,
           status = 'pending', requested_by = excluded.requested_by, requested_at = now(), reviewed_by = NULL, reviewed_at = NULL, review_reason = NULL
         RETURNING *`,
        [dataset, openType, licence, description, by],
      ),
    review: (dataset, { approve, reason, by }, db) =>
      one(
        `UPDATE open_datasets SET status = $2, reviewed_by = $3, reviewed_at = now(), review_reason = $4
         WHERE dataset = $1 AND status = 'pending' RETURNING *`,
        [dataset, approve ? 'approved' : 'rejected', by, reason],
        db,
      ),
    async get(dataset) {
      const { rows } = await pool.query<Row>('SELECT * FROM open_datasets WHERE dataset = $1', [dataset]);
      return rows[0] ? toDataset(rows[0]) : null;
    },
    async list({ datasets, status } = {}) {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM open_datasets WHERE ($1::text[] IS NULL OR dataset = ANY($1)) AND ($2::text IS NULL OR status = $2) ORDER BY dataset`,
        [datasets ?? null, status ?? null],
      );
      return rows.map(toDataset);
    },
    async snapshot(id) {
      const { rows } = await pool.query<{ id: string; dataset: string; fields: PublishedField[]; row_count: string; source_mark: string; created_at: Date }>(
        'SELECT * FROM open_snapshots WHERE id = $1',
        [id],
      );
      const r = rows[0];
      return r
        ? {
            id: Number(r.id),
            dataset: r.dataset,
            fields: r.fields,
            rowCount: Number(r.row_count),
            sourceMark: r.source_mark,
            createdAt: r.created_at.toISOString(),
          }
        : null;
    },
    async startSnapshot(dataset, fields, sourceMark) {
      const { rows } = await pool.query<{ id: string }>(
        'INSERT INTO open_snapshots (dataset, fields, row_count, source_mark) VALUES ($1, $2, 0, $3) RETURNING id',
        [dataset, JSON.stringify(fields), sourceMark],
      );
      const id = Number(rows[0]!.id);
      await pool.query(`CREATE TABLE ${snapshotTable(id)} (n bigint PRIMARY KEY, row jsonb NOT NULL)`);
      return id;
    },
    async appendRows(id, firstRow, rows) {
      if (rows.length === 0) return;
      await pool.query(
        `INSERT INTO ${snapshotTable(id)} (n, row) SELECT $1::bigint + o - 1, r FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS a(r, o)`,
        [firstRow, JSON.stringify(rows)],
      );
    },
    async finishSnapshot(id, dataset, rowCount, sourceMark) {
      await withTransaction(pool, async (client) => {
        await client.query('UPDATE open_snapshots SET row_count = $2 WHERE id = $1', [id, rowCount]);
        const { rows } = await client.query<{ snapshot_id: string | null }>('SELECT snapshot_id FROM open_datasets WHERE dataset = $1 FOR UPDATE', [dataset]);
        await client.query('UPDATE open_datasets SET snapshot_id = $2, published_at = now(), source_mark = $3 WHERE dataset = $1', [dataset, id, sourceMark]);
        // The snapshot it replaces stays for downloads under way (resumed with ?snapshot=); older ones go.
        const prior = rows[0]?.snapshot_id;
        const previous = prior === null || prior === undefined ? id : Number(prior);
        const { rows: old } = await client.query<{ id: string }>('DELETE FROM open_snapshots WHERE dataset = $1 AND id < $2 RETURNING id', [
          dataset,
          Math.min(previous, id),
        ]);
        for (const o of old) await client.query(`DROP TABLE IF EXISTS ${snapshotTable(Number(o.id))}`);
      });
    },
    async discardSnapshot(id) {
      await pool.query(`DROP TABLE IF EXISTS ${snapshotTable(id)}`);
      await pool.query('DELETE FROM open_snapshots WHERE id = $1', [id]);
    },
    async countDownload(dataset, format) {
      await pool.query(
        `INSERT INTO open_downloads (dataset, day, format, downloads) VALUES ($1, (now() AT TIME ZONE 'Asia/Shanghai')::date, $2, 1)
         ON CONFLICT (dataset, day, format) DO UPDATE SET downloads = open_downloads.downloads + 1`,
        [dataset, format],
      );
    },
    async downloads(datasets) {
      const { rows } = await pool.query<{ dataset: string; format: string; n: string }>(
        'SELECT dataset, format, sum(downloads)::text AS n FROM open_downloads WHERE dataset = ANY($1) GROUP BY dataset, format',
        [datasets],
      );
      const out = new Map<string, { total: number; byFormat: Record<string, number> }>();
      for (const r of rows) {
        const d = out.get(r.dataset) ?? { total: 0, byFormat: {} };
        d.byFormat[r.format] = Number(r.n);
        d.total += Number(r.n);
        out.set(r.dataset, d);
      }
      return out;
    },
  };
}
