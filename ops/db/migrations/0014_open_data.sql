-- Open data (开放): datasets a provider opens to the public, reviewed by the authority, published as
-- desensitized snapshots; downloads counted per dataset; the public's feedback and the answers.
CREATE TABLE open_datasets (
  dataset        text PRIMARY KEY,
  -- What the owner asked for and the authority reviewed; the portal applies the most restrictive of
  -- this and every provider's own catalog entry.
  open_type      text NOT NULL CHECK (open_type IN ('open', 'on_application')),
  licence        text NOT NULL,
  description    text,
  status         text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_by   text NOT NULL,
  requested_at   timestamptz NOT NULL DEFAULT now(),
  reviewed_by    text,
  reviewed_at    timestamptz,
  review_reason  text,
  -- The snapshot the portal serves, what it was built from (row count, last change, field plan).
  snapshot_id    bigint,
  published_at   timestamptz,
  source_mark    text
);

-- Each publication: its rows live in a table of their own (open_rows_<id>), dropped when superseded twice.
CREATE TABLE open_snapshots (
  id          bigserial PRIMARY KEY,
  dataset     text NOT NULL,
  fields      jsonb NOT NULL,
  row_count   bigint NOT NULL,
  source_mark text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_snapshots_dataset ON open_snapshots (dataset, id DESC);

CREATE TABLE open_downloads (
  dataset   text NOT NULL,
  day       date NOT NULL,
  format    text NOT NULL,
  downloads bigint NOT NULL,
  PRIMARY KEY (dataset, day, format)
);

CREATE TABLE open_feedback (
  id          uuid PRIMARY KEY,
  dataset     text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('problem', 'request')),
  message     text NOT NULL,
  -- How to reach the sender, for the provider only; never shown on the portal.
  contact     text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  answer      text,
  answered_by text,
  answered_at timestamptz
);
CREATE INDEX open_feedback_dataset ON open_feedback (dataset, created_at DESC);
