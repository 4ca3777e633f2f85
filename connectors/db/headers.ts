/** Headers a connector adds to a dead-letter record, next to the hub's ingest and dead-letter headers. */
export const connectorHeaders = {
  /** The connector's id. */
  id: 'hub-connector-id',
  /** JSON of the row's cursor values ({ updatedAt, id }, as the database wrote them). */
  cursor: 'hub-connector-cursor',
  /** The source table. */
  table: 'hub-connector-table',
} as const;
