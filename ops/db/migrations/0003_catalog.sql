-- Departments (providers) and the unified catalog (目录管理) with every change kept as a version.
CREATE TABLE departments (
  name          text PRIMARY KEY REFERENCES principals (name),
  display_name  text NOT NULL,
  code          text,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalog_entries (
  id                   text PRIMARY KEY,
  dataset              text NOT NULL,
  provider             text NOT NULL REFERENCES departments (name),
  topic                text NOT NULL UNIQUE,
  subject              text NOT NULL,
  schema_id            integer NOT NULL,
  name                 text NOT NULL,
  summary              text NOT NULL,
  classification_code  text NOT NULL,
  share_type           text NOT NULL CHECK (share_type IN ('unconditional', 'conditional', 'not_shared')),
  open_type            text NOT NULL CHECK (open_type IN ('open', 'on_application', 'not_open')),
  update_cycle         text NOT NULL,
  grade                smallint NOT NULL CHECK (grade BETWEEN 1 AND 4),
  entry                jsonb NOT NULL,
  version              integer NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  UNIQUE (dataset, provider)
);
CREATE INDEX catalog_entries_provider ON catalog_entries (provider);
CREATE INDEX catalog_entries_share_type ON catalog_entries (share_type);
CREATE INDEX catalog_entries_classification ON catalog_entries (classification_code);

CREATE TABLE catalog_entry_versions (
  entry_id      text NOT NULL REFERENCES catalog_entries (id),
  version       integer NOT NULL,
  entry         jsonb NOT NULL,
  schema_id     integer NOT NULL,
  change_kind   text NOT NULL CHECK (change_kind IN ('created', 'updated')),
  changed_by    text NOT NULL,
  changed_at    timestamptz NOT NULL DEFAULT now(),
  reason        text NOT NULL,
  jurisdiction  text NOT NULL,
  deadline      date NOT NULL,
  deadline_basis text NOT NULL,
  PRIMARY KEY (entry_id, version)
);
