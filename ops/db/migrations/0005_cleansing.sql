-- Cleansing: where each raw partition has been landed up to (committed in the landing transaction,
-- so a crash neither loses nor repeats), the last content seen per source and key (de-duplication's
-- truth; Redis is only its fast path), counts per dataset and provider, quality alerts for stewards,
-- and the outbox of records for Kafka written in the same transaction.
CREATE TABLE cleansing_offsets (
  group_id     text NOT NULL,
  topic        text NOT NULL,
  partition    integer NOT NULL,
  next_offset  bigint NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

CREATE TABLE cleansing_last_hash (
  dataset       text NOT NULL,
  provider      text NOT NULL,
  key           text NOT NULL,
  content_hash  text NOT NULL,
  PRIMARY KEY (dataset, provider, key)
);

CREATE TABLE cleansing_counts (
  dataset     text NOT NULL,
  provider    text NOT NULL,
  records_in  bigint NOT NULL DEFAULT 0,
  duplicates  bigint NOT NULL DEFAULT 0,
  invalid     bigint NOT NULL DEFAULT 0,
  warnings    bigint NOT NULL DEFAULT 0,
  conflicts   bigint NOT NULL DEFAULT 0,
  landed      bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset, provider)
);

CREATE TABLE quality_alerts (
  id           uuid PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('invalid', 'warning', 'conflict')),
  severity     text NOT NULL CHECK (severity IN ('error', 'warning')),
  dataset      text NOT NULL,
  key          text NOT NULL,
  fields       text[] NOT NULL,
  field_values jsonb NOT NULL,
  rule         text,
  message      text NOT NULL,
  sources      jsonb NOT NULL,
  detected_at  timestamptz NOT NULL DEFAULT now(),
  status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved', 'routed')),
  reviewed_by  text,
  reviewed_at  timestamptz,
  note         text
);
CREATE INDEX quality_alerts_dataset_status ON quality_alerts (dataset, status, detected_at DESC);

CREATE TABLE cleansing_outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic       text NOT NULL,
  key         text,
  value       bytea NOT NULL,
  headers     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
