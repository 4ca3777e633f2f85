import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../services/platform/logger.ts';
import { retry, type RetryOptions } from '../../services/platform/retry.ts';
import { deadLetterHeaders } from '../../services/contract/headers.ts';
import type { ConnectorConfig } from './config.ts';
import { openConnectorParts, type ConnectorParts } from './connector-parts.ts';
import { advancePosition, startPosition, storedPosition, type Position } from './position.ts';

export interface DbConnector {
  /** Polls and publishes until `signal` aborts, then finishes the batch in flight and closes. */
  run(signal: AbortSignal): Promise<void>;
  /** One poll and publish (opening everything on first use); the number of rows published. */
  runOnce(): Promise<number>;
  close(): Promise<void>;
}

export interface DbConnectorOptions {
  config: ConnectorConfig;
  log: Logger;
  /** Backoff for transient failures once running; start-up failures are never retried. */
  retry?: Partial<Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'maxElapsedMs'>>;
}

const defaultRetry = { initialDelayMs: 500, maxDelayMs: 30_000, maxElapsedMs: 10 * 60_000 };

function loggable(p: Position) {
  return { updatedAt: p.updatedAt, id: p.id, seen: p.seen.length };
}

/** The connector's loop; what it reads from and writes to is opened by connector-parts.ts. */
export function createDbConnector({ config, log: baseLog, retry: retryOverrides }: DbConnectorOptions): DbConnector {
  const log = baseLog.child({ module: 'db-connector', connector: config.id, department: config.department, dataset: config.dataset });
  const retryOptions = { ...defaultRetry, ...retryOverrides };
  let parts: ConnectorParts | null = null;
  let opening: Promise<ConnectorParts> | null = null;
  let position: Position = startPosition;
  // After a failed commit nobody knows whether it landed: re-fence and re-read the position.
  let broken = false;
  let total = 0;

  async function restore(p: ConnectorParts): Promise<void> {
    const restored = await p.positions.restore();
    position = restored ?? startPosition;
    if (restored) log.info({ position: loggable(position) }, 'restored position');
    else log.info('no stored position: reading the table from the start');
  }

  function open(): Promise<ConnectorParts> {
    if (parts) return Promise.resolve(parts);
    opening ??= (async () => {
      const p = await openConnectorParts({ config, log });
      try {
        await restore(p);
      } catch (err) {
        await p.close();
        throw err;
      }
      log.info(
        { source: p.reader.description, topic: p.topic, schemaId: p.schemaId, batchSize: config.batchSize, pollIntervalMs: config.pollIntervalMs },
        'connector started',
      );
      parts = p;
      return p;
    })().finally(() => {
      opening = null;
    });
    return opening;
  }

  async function step(): Promise<number> {
    const p = await open();
    if (broken) {
      await p.sink.open();
      await restore(p);
      broken = false;
    }
    const rows = await p.reader.readBatch(position, config.batchSize);
    if (rows.length === 0) return 0;
    const next = advancePosition(position, rows, config.source.cursor);
    const { records, deadLetters } = await p.mapper.map(rows);
    try {
      await p.sink.commit({
        records,
        deadLetters,
        position: storedPosition({ connector: config.id, table: config.source.table, cursor: config.source.cursor, position: next }),
      });
    } catch (err) {
      broken = true;
      throw err;
    }
    position = next;
    total += rows.length;
    if (deadLetters.length > 0) {
      const reasons = deadLetters.slice(0, 3).map((d) => d.headers?.[deadLetterHeaders.reason]?.toString());
      log.warn({ deadLetters: deadLetters.length, reasons }, 'rows that do not fit the dataset went to the dead-letter topic');
    }
    log.info({ rows: rows.length, records: records.length, deadLetters: deadLetters.length, position: loggable(position), total }, 'published batch');
    return rows.length;
  }

  const attempt = (signal?: AbortSignal) =>
    retry(() => step(), {
      ...retryOptions,
      ...(signal ? { signal } : {}),
      onRetry: ({ attempt: n, delayMs, error }) => log.warn({ attempt: n, delayMs, err: error }, 'transient failure; retrying'),
    });

  async function close(): Promise<void> {
    const p = parts ?? (opening ? await opening.catch(() => null) : null);
    parts = null;
    await p?.close();
  }

  return {
    async run(signal) {
      await open();
      let caughtUp = false;
      try {
        while (!signal.aborted) {
          let n: number;
          try {
            n = await attempt(signal);
          } catch (err) {
            if (signal.aborted) break;
            throw err;
          }
          if (n >= config.batchSize) {
            caughtUp = false;
            continue;
          }
          if (!caughtUp) log.info({ position: loggable(position), total, pollIntervalMs: config.pollIntervalMs }, 'caught up; polling');
          caughtUp = true;
          await sleep(config.pollIntervalMs, undefined, { signal }).catch(() => undefined);
        }
      } finally {
        await close();
        log.info({ position: loggable(position), total }, 'connector stopped');
      }
    },
    runOnce: () => attempt(),
    close,
  };
}
