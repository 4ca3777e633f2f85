import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { HubError } from '../../services/platform/errors.ts';
import { toHubKafkaError } from '../../services/platform/kafka/client.ts';
import type { Logger } from '../../services/platform/logger.ts';
import { connectorOffsetsTopic, connectorTransactionalPrefix } from '../../services/contract/names.ts';
import type { CursorColumns } from './config.ts';
import { readStoredPosition, type Position } from './position.ts';
import type { TableName } from './sql-dialect.ts';
import type { TransactionalSink } from './transactional-sink.ts';

/** The connector's positions, kept in the department's compacted offsets topic (keyed by connector id). */
export interface PositionStore {
  /**
   * The last committed position, or null when the connector never committed one. Call it only
   * after the sink is open: its fencing guarantees no older instance commits anything afterwards.
   */
  restore(): Promise<Position | null>;
}

export interface PositionStoreOptions {
  kafka: Kafka;
  sink: TransactionalSink;
  department: string;
  connectorId: string;
  table: TableName;
  cursor: CursorColumns;
  log: Logger;
  timeoutMs?: number;
}

function parse(value: Buffer | null): unknown {
  if (value === null) return null;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Reading "up to the end" of a transactional topic is not comparing with the high watermark:
 * commit/abort markers take offsets of their own (so the last record is never at HW - 1), and
 * another connector of the department may hold an open transaction below our last commit (so
 * the last stable offset can stop short of it). Instead the store commits a marker with a fresh
 * nonce, in a transaction of its own, and reads with read_committed from the beginning until it
 * meets that marker. Fencing already ended every earlier transaction of this connector, so all
 * of its committed positions lie before the marker; the last one for our key is the position.
 */
export function createPositionStore(options: PositionStoreOptions): PositionStore {
  const { kafka, sink, department, connectorId, log } = options;
  const topic = connectorOffsetsTopic(department);
  const markerKey = `${connectorId}#sync`;
  const timeoutMs = options.timeoutMs ?? 60_000;

  return {
    async restore() {
      const nonce = randomUUID();
      await sink.writeOffsetsRecord(markerKey, JSON.stringify({ connector: connectorId, sync: nonce, at: new Date().toISOString() }));
      // A group of its own each time (no offsets are committed): a killed predecessor's member never delays the join.
      const groupId = `${connectorTransactionalPrefix(department)}${connectorId}.restore.${nonce.slice(0, 8)}`;
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 250, readUncommitted: false });
      let found = false;
      let latest: unknown = null;
      let records = 0;
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new HubError(
                  'HUB_ERR_TIMEOUT',
                  `could not read connector ${connectorId}'s position back from ${topic} within ${timeoutMs} ms (${records} records read)`,
                ),
              ),
            timeoutMs,
          );
          const done = (err?: unknown) => {
            clearTimeout(timer);
            if (err === undefined) resolve();
            else reject(err);
          };
          consumer.on(consumer.events.CRASH, (event) => {
            if (!event.payload.restart) done(toHubKafkaError(event.payload.error, `to read ${topic}`));
          });
          (async () => {
            await consumer.connect();
            await consumer.subscribe({ topic, fromBeginning: true });
            await consumer.run({
              autoCommit: false,
              eachMessage: async ({ message }) => {
                records++;
                const key = message.key?.toString('utf8');
                if (key === connectorId) {
                  latest = parse(message.value);
                  found = latest !== null;
                } else if (key === markerKey && (parse(message.value) as { sync?: unknown } | undefined)?.sync === nonce) {
                  done();
                }
              },
            });
          })().catch((err: unknown) => done(toHubKafkaError(err, `to read ${topic}`)));
        });
      } finally {
        await consumer.disconnect().catch((err: unknown) => log.warn({ err }, 'position reader did not disconnect cleanly'));
      }
      // A tombstone (null value) for the connector's key resets it to the start.
      if (!found) return null;
      return readStoredPosition(latest, { connector: connectorId, table: options.table, cursor: options.cursor });
    },
  };
}
