import type { Pool } from '../platform/db/pool.ts';
import { chinaDate } from '../platform/calendar/working-days.ts';
import type { CrawlDetected } from './rate-limits.ts';

/** An alert for the data authority: a principal that looked like it was extracting data through verification. */
export interface VerificationAlert {
  id: string;
  principal: string;
  /** The China date of the detections. */
  day: string;
  /** The latest detection, starting with its triggers. */
  reason: string;
  /** Every trigger seen that day: 'distinct-keys', 'mismatch-rate' ('sequential-keys' on alerts from before). */
  triggers: string[];
  datasets: string[];
  /** The largest counts seen that day: distinct keys, answered calls and those with a mismatch in one window. */
  distinctKeys: number;
  calls: number;
  mismatchedCalls: number;
  detections: number;
  status: 'open' | 'resolved';
  firstDetectedAt: string;
  lastDetectedAt: string;
}

export interface CrawlDetection extends CrawlDetected {
  principal: string;
  dataset: string;
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
  triggers: string[];
  datasets: string[];
  distinct_keys: number;
  calls: number;
  mismatched_calls: number;
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
  triggers: r.triggers,
  datasets: r.datasets,
  distinctKeys: r.distinct_keys,
  calls: r.calls,
  mismatchedCalls: r.mismatched_calls,
  detections: r.detections,
  status: r.status,
  firstDetectedAt: r.first_detected_at.toISOString(),
  lastDetectedAt: r.last_detected_at.toISOString(),
});

const columns = `id::text, principal, day::text, reason, triggers, datasets, distinct_keys, calls, mismatched_calls, detections, status, first_detected_at, last_detected_at`;

export function createVerificationAlertStore({ pool }: { pool: Pool }): VerificationAlertStore {
  return {
    async record({ principal, dataset, triggers, distinctKeys, calls, mismatches, windowMs, at }) {
      const seconds = Math.round(windowMs / 1000);
      const why = {
        'distinct-keys': `${distinctKeys} distinct keys in ${seconds} s`,
        'mismatch-rate': `${mismatches} of ${calls} answered calls in ${seconds} s had a mismatch`,
      };
      const reason = `${triggers.join(', ')}: ${triggers.map((t) => why[t]).join('; ')}`;
      const { rows } = await pool.query<Row>(
        `INSERT INTO verification_alerts AS a (principal, day, reason, triggers, datasets, distinct_keys, calls, mismatched_calls, first_detected_at, last_detected_at)
         VALUES ($1, $2::date, $3, $4::text[], ARRAY[$5::text], $6, $7, $8, $9, $9)
         ON CONFLICT (principal, day) WHERE status = 'open' DO UPDATE SET
           reason = excluded.reason,
           triggers = ARRAY(SELECT DISTINCT t FROM unnest(a.triggers || excluded.triggers) t ORDER BY t),
           datasets = CASE WHEN $5 = ANY(a.datasets) THEN a.datasets ELSE a.datasets || $5::text END,
           distinct_keys = greatest(a.distinct_keys, excluded.distinct_keys),
           calls = greatest(a.calls, excluded.calls),
           mismatched_calls = greatest(a.mismatched_calls, excluded.mismatched_calls),
           detections = a.detections + 1,
           last_detected_at = excluded.last_detected_at
         RETURNING ${columns}`,
        [principal, chinaDate(at), reason, triggers, dataset, distinctKeys, calls, mismatches, at],
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
