-- Idempotency keys of HTTP ingest calls: a retried batch with the same key lands once.
CREATE TABLE ingest_requests (
  principal     text NOT NULL,
  key           text NOT NULL,
  body_hash     text NOT NULL,
  status_code   integer,
  response      jsonb,
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  PRIMARY KEY (principal, key)
);

-- When each catalog entry last received data, by any path: the freshness watcher's input.
CREATE TABLE dataset_activity (
  entry_id        text PRIMARY KEY REFERENCES catalog_entries (id),
  last_record_at  timestamptz NOT NULL,
  last_path       text NOT NULL,
  records_total   bigint NOT NULL DEFAULT 0
);

-- A provider silent past its update cycle. At most one open alert per entry, whatever the number
-- of hub instances checking.
CREATE TABLE freshness_alerts (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id        text NOT NULL REFERENCES catalog_entries (id),
  provider        text NOT NULL,
  dataset         text NOT NULL,
  update_cycle    text NOT NULL,
  silent_since    timestamptz NOT NULL,
  detected_at     timestamptz NOT NULL DEFAULT now(),
  resolved_at     timestamptz
);
CREATE UNIQUE INDEX freshness_alerts_one_open ON freshness_alerts (entry_id) WHERE resolved_at IS NULL;
