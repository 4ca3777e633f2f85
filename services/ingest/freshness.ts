import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { cycleMs, type CatalogEntry } from '../catalog/entry.ts';

export interface FreshnessAlert {
  id: number;
  entryId: string;
  provider: string;
  dataset: string;
  updateCycle: string;
  silentSince: string;
  detectedAt: string;
  resolvedAt: string | null;
}

interface Row {
  id: string;
  entry_id: string;
  provider: string;
  dataset: string;
  update_cycle: string;
  silent_since: Date;
  detected_at: Date;
  resolved_at: Date | null;
}

const toAlert = (r: Row): FreshnessAlert => ({
  id: Number(r.id),
  entryId: r.entry_id,
  provider: r.provider,
  dataset: r.dataset,
  updateCycle: r.update_cycle,
  silentSince: r.silent_since.toISOString(),
  detectedAt: r.detected_at.toISOString(),
  resolvedAt: r.resolved_at?.toISOString() ?? null,
});

export interface FreshnessWatcher {
  /** Raises an alert for every entry silent past its update cycle at `now`; returns the new ones. */
  check(now?: Date): Promise<FreshnessAlert[]>;
  list(filter: { open?: boolean; provider?: string }): Promise<FreshnessAlert[]>;
  start(): void;
  stop(): void;
}

/**
 * Watches each dataset's update cycle. A provider silent since its last record (or, before any,
 * since the entry was declared) for longer than its cycle gets one open alert, however many hub
 * instances check: the partial unique index decides.
 */
export function createFreshnessWatcher({
  pool,
  log,
  intervalMs,
  entries,
}: {
  pool: Pool;
  log: Logger;
  intervalMs: number;
  /** The catalog's active entries (the catalog's service: its table is not read here). */
  entries: () => Promise<readonly CatalogEntry[]>;
}): FreshnessWatcher {
  const logger = log.child({ module: 'freshness' });
  let timer: NodeJS.Timeout | null = null;
  const watcher: FreshnessWatcher = {
    async check(now = new Date()) {
      const list = await entries();
      if (list.length === 0) return [];
      const { rows } = await pool.query<Row>(
        `INSERT INTO freshness_alerts (entry_id, provider, dataset, update_cycle, silent_since, detected_at)
         SELECT e.id, e.provider, e.dataset, e.update_cycle, COALESCE(a.last_record_at, e.created_at), $1
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bigint[]) AS e (id, provider, dataset, update_cycle, created_at, cycle_ms)
         LEFT JOIN dataset_activity a ON a.entry_id = e.id
         WHERE COALESCE(a.last_record_at, e.created_at) < $1::timestamptz - make_interval(secs => e.cycle_ms / 1000.0)
         ON CONFLICT (entry_id) WHERE resolved_at IS NULL DO NOTHING
         RETURNING *`,
        [
          now,
          list.map((e) => e.id),
          list.map((e) => e.provider),
          list.map((e) => e.dataset),
          list.map((e) => e.updateCycle),
          list.map((e) => e.createdAt),
          list.map((e) => cycleMs[e.updateCycle]),
        ],
      );
      const alerts = rows.map(toAlert);
      for (const a of alerts)
        logger.warn({ entry: a.entryId, provider: a.provider, cycle: a.updateCycle, silentSince: a.silentSince }, 'provider silent past its update cycle');
      return alerts;
    },
    async list({ open, provider }) {
      const { rows } = await pool.query<Row>(
        `SELECT * FROM freshness_alerts
         WHERE ($1::boolean IS NULL OR (resolved_at IS NULL) = $1) AND ($2::text IS NULL OR provider = $2)
         ORDER BY detected_at DESC, id DESC LIMIT 1000`,
        [open ?? null, provider ?? null],
      );
      return rows.map(toAlert);
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        watcher.check().catch((err: unknown) => logger.warn({ err }, 'freshness check failed; trying again next interval'));
      }, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
  return watcher;
}
