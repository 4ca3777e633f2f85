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
