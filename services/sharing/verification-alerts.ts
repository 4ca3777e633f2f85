import type { Pool } from '../platform/db/pool.ts';
import { chinaDate } from '../platform/calendar/working-days.ts';

/** An alert for the data authority: a principal that looked like it was enumerating keys. */
export interface VerificationAlert {
  id: string;
  principal: string;
  /** The China date of the detections. */
  day: string;
  reason: string;
  datasets: string[];
  distinctKeys: number;
  sequentialKeys: number;
  detections: number;
  status: 'open' | 'resolved';
  firstDetectedAt: string;
  lastDetectedAt: string;
}

export interface CrawlDetection {
  principal: string;
  dataset: string;
  distinctKeys: number;
  sequentialKeys: number;
  windowMs: number;
  at: Date;
}

export interface VerificationAlertStore {
  /** One open alert per principal and China date: a repeat raises its count and widens its datasets. */
  record(detection: CrawlDetection): Promise<VerificationAlert>;
  list(filter: { principal?: string; status?: 'open' | 'resolved'; limit: number; offset: number }): Promise<VerificationAlert[]>;
}

interface Row {
  id: string;
  principal: string;
  day: string;
  reason: string;
  datasets: string[];
  distinct_keys: number;
  sequential_keys: number;
  detections: number;
  status: 'open' | 'resolved';
  first_detected_at: Date;
  last_detected_at: Date;
}

const toAlert = (r: Row): VerificationAlert => ({
  id: r.id,
  principal: r.principal,
  day: r.day,
  reason: r.reason,
  datasets: r.datasets,
  distinctKeys: r.distinct_keys,
  sequentialKeys: r.sequential_keys,
  detections: r.detections,
  status: r.status,
  firstDetectedAt: r.first_detected_at.toISOString(),
  lastDetectedAt: r.last_detected_at.toISOString(),
});

const columns = `id::text, principal, day::text, reason, datasets, distinct_keys, sequential_keys, detections, status, first_detected_at, last_detected_at`;

export function createVerificationAlertStore({ pool }: { pool: Pool }): VerificationAlertStore {
  return {
    async record({ principal, dataset, distinctKeys, sequentialKeys, windowMs, at }) {
      const reason = `${distinctKeys} distinct keys in ${Math.round(windowMs / 1000)} s, ${sequentialKeys} of them next to the key before (enumeration)`;
      const { rows } = await pool.query<Row>(
        `INSERT INTO verification_alerts AS a (principal, day, reason, datasets, distinct_keys, sequential_keys, first_detected_at, last_detected_at)
         VALUES ($1, $2::date, $3, ARRAY[$4::text], $5, $6, $7, $7)
         ON CONFLICT (principal, day) WHERE status = 'open' DO UPDATE SET
           reason = excluded.reason,
           datasets = CASE WHEN $4 = ANY(a.datasets) THEN a.datasets ELSE a.datasets || $4::text END,
           distinct_keys = greatest(a.distinct_keys, excluded.distinct_keys),
           sequential_keys = greatest(a.sequential_keys, excluded.sequential_keys),
           detections = a.detections + 1,
           last_detected_at = excluded.last_detected_at
         RETURNING ${columns}`,
        [principal, chinaDate(at), reason, dataset, distinctKeys, sequentialKeys, at],
      );
      return toAlert(rows[0] as Row);
    },
    async list({ principal, status, limit, offset }) {
      const { rows } = await pool.query<Row>(
        `SELECT ${columns} FROM verification_alerts WHERE ($1::text IS NULL OR principal = $1) AND ($2::text IS NULL OR status = $2)
         ORDER BY last_detected_at DESC, id DESC LIMIT $3 OFFSET $4`,
        [principal ?? null, status ?? null, limit, offset],
      );
      return rows.map(toAlert);
    },
  };
}
