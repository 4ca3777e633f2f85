/** Headers on every record of a raw topic, whatever path brought it. */
export const ingestHeaders = {
  /** The providing department. */
  source: 'hub-source',
  /** http | file | connector | kafka */
  path: 'hub-ingest-path',
  /** ISO-8601 time the change happened at the source. */
  eventTime: 'hub-event-time',
  /** Unique id of this record (UUID). */
  recordId: 'hub-record-id',
} as const;

/** Headers a dead-letter record carries next to the original key and value. */
export const deadLetterHeaders = {
  reason: 'hub-dlq-reason',
  topic: 'hub-dlq-topic',
  partition: 'hub-dlq-partition',
  offset: 'hub-dlq-offset',
  at: 'hub-dlq-at',
} as const;

export type IngestPath = 'http' | 'file' | 'connector' | 'kafka';

/** Headers on records the cleansing outbox relays (clean topics, quality alerts). */
export const outboxHeaders = {
  /**
   * `<hub schema>:<row id>`: ids increase per partition, as the relay publishes rows in id order,
   * one relay at a time per hub. A row sent again after a crash carries an id its readers passed.
   */
  id: 'hub-outbox-id',
} as const;

export function outboxId(origin: string, id: string): string {
  return `${origin}:${id}`;
}

/** The origin and row id of an outbox header value; null if it is not one. */
export function parseOutboxId(value: string): { origin: string; id: bigint } | null {
  const at = value.lastIndexOf(':');
  const id = value.slice(at + 1);
  return at > 0 && /^\d{1,19}$/.test(id) ? { origin: value.slice(0, at), id: BigInt(id) } : null;
}
