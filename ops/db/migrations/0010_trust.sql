-- Trust between departments.
-- A dataset's contract (fields, types, grades, rules, business key) is fixed by its first
-- declaration and evolves only through its owner or the authority; the authority names one
-- authoritative provider per field (一数一源).
CREATE TABLE dataset_contracts (
  dataset      text PRIMARY KEY,
  owner        text NOT NULL REFERENCES departments (name),
  schema_id    integer NOT NULL,
  schema       text NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  authorities  jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_by   text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Contracts of the datasets declared before contracts existed: the earliest entry's schema, and the
-- authoritative fields each entry named.
INSERT INTO dataset_contracts (dataset, owner, schema_id, schema, authorities, updated_by)
SELECT DISTINCT ON (e.dataset) e.dataset, e.provider, e.schema_id, s.schema,
       COALESCE((SELECT jsonb_object_agg(f, x.provider)
                 FROM catalog_entries x, jsonb_array_elements_text(COALESCE(x.entry -> 'elements' -> 'authoritativeFields', '[]')) AS f
                 WHERE x.dataset = e.dataset), '{}'),
       e.provider
FROM catalog_entries e JOIN registry_schemas s ON s.id = e.schema_id
ORDER BY e.dataset, e.created_at, e.id;

-- A department declaring a dataset that already has a provider is enrolled only when the authority
-- approves; until then it has no Kafka rights and its records are refused.
ALTER TABLE catalog_entries ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'refused'));
ALTER TABLE catalog_entries ADD COLUMN enrolment jsonb;
CREATE INDEX catalog_entries_pending ON catalog_entries (created_at) WHERE status = 'pending';

-- What an application is for: receiving records (share topics) or verifying claims only.
ALTER TABLE applications ADD COLUMN intended_use text NOT NULL DEFAULT 'subscription' CHECK (intended_use IN ('subscription', 'verification'));
ALTER TABLE scenarios ADD COLUMN intended_use text NOT NULL DEFAULT 'subscription' CHECK (intended_use IN ('subscription', 'verification'));

-- One decision per decider: the authoritative provider of the requested fields (or the authority
-- where the jurisdiction says so). The application is granted when every decider approved.
CREATE TABLE application_decisions (
  application_id  text NOT NULL REFERENCES applications (id),
  decider         text NOT NULL,
  fields          jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
  decided_by      text,
  decided_at      timestamptz,
  reason          text,
  basis           text,
  PRIMARY KEY (application_id, decider)
);
CREATE INDEX application_decisions_pending ON application_decisions (decider) WHERE status = 'pending';

-- Verification grants: which fields of which datasets a principal may verify (可用不可见), until when.
CREATE TABLE verification_grants (
  id              text PRIMARY KEY,
  application_id  text NOT NULL REFERENCES applications (id),
  consumer        text NOT NULL,
  datasets        jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expired', 'revoked', 'suspended')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  ended_at        timestamptz
);
CREATE INDEX verification_grants_consumer ON verification_grants (consumer) WHERE status = 'active';
