import type { Pool, PoolClient } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { type HubProducer, sendInOrder } from '../platform/kafka/producer.ts';
import type { HealthBoard } from '../platform/health.ts';
import { errorMessage } from '../platform/errors.ts';
import { outboxHeaders, outboxId } from '../contract/headers.ts';

export interface OutboxRecord {
  topic: string;
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

/** Writes Kafka records in the caller's transaction: they exist if and only if the landing committed. */
export async function enqueue(client: PoolClient, records: readonly OutboxRecord[]): Promise<void> {
  if (records.length === 0) return;
  await client.query(
    `INSERT INTO cleansing_outbox (topic, key, value, headers)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[])`,
    [records.map((r) => r.topic), records.map((r) => r.key), records.map((r) => r.value), records.map((r) => JSON.stringify(r.headers ?? {}))],
  );
}

/** Namespace of the relay's transaction advisory lock (the second key is the hub's schema). */
const relayLock = 727_007;

export interface OutboxRelay {
  /** Publishes everything queued so far; returns how many records it sent. */
  drain(): Promise<number>;
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Moves committed outbox rows to Kafka in id order (so per key in commit order) and deletes them in
 * the same transaction that locked them. A crash between send and delete sends a row twice; each
 * record carries its row id (`hub-outbox-id`), by which the share streamer skips the second copy,
 * and compacted clean topics and id-carrying alerts absorb it.
 */
export function createOutboxRelay({
  pool,
  producer,
  log,
  intervalMs = 1000,
  batch = 500,
  health,
}: {
  pool: Pool;
  producer: HubProducer;
  log: Logger;
  intervalMs?: number;
  batch?: number;
  /** Where the relay reports whether it can publish (the app's health board). */
  health?: HealthBoard;
}): OutboxRelay {
  const logger = log.child({ module: 'outbox' });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let again = false;

  async function once(): Promise<number> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // One relay at a time per hub, whichever instance: two would interleave batches and could
      // publish a key's older state after its newer one. The lock ends with the transaction.
      const { rows: turn } = await client.query<{ mine: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema())) AS mine', [relayLock]);
      if (turn[0]?.mine !== true) {
        await client.query('COMMIT');
        return 0;
      }
      const { rows } = await client.query<{ id: string; topic: string; key: string | null; value: Buffer; headers: Record<string, string>; origin: string }>(
        'SELECT id, topic, key, value, headers, current_schema() AS origin FROM cleansing_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
        [batch],
      );
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      await sendInOrder(
        producer,
        rows.map((r) => ({ topic: r.topic, record: { key: r.key, value: r.value, headers: { ...r.headers, [outboxHeaders.id]: outboxId(r.origin, r.id) } } })),
      );
      await client.query('DELETE FROM cleansing_outbox WHERE id = ANY($1)', [rows.map((r) => r.id)]);
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  const relay: OutboxRelay = {
    async drain() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        let total = 0;
        try {
          for (;;) {
            again = false;
            const n = await once();
            total += n;
            if (n === 0 && !again) return total;
          }
        } finally {
          running = null;
        }
      })();
      return running;
    },
    wake() {
      relay.drain().then(
        () => health?.report('outbox', { ok: true }),
        (err: unknown) => {
          logger.warn({ err }, 'outbox relay failed; retrying on the next tick');
          health?.report('outbox', { ok: false, error: errorMessage(err) });
        },
      );
    },
    start() {
      if (timer) return;
      timer = setInterval(() => relay.wake(), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
  return relay;
}
