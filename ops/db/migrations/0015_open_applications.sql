-- Open on application (依申请开放): organisations register on the portal, apply for a dataset, the
-- owner answers within the jurisdiction's period; an approval carries a use agreement and a
-- personal download key (only its hash is kept) with an expiry.
ALTER TABLE principals DROP CONSTRAINT principals_role_check;
ALTER TABLE principals ADD CONSTRAINT principals_role_check
  CHECK (role IN ('authority', 'steward', 'department', 'consumer', 'auditor', 'service', 'applicant'));

CREATE TABLE open_organisations (
  principal   text PRIMARY KEY REFERENCES principals (name),
  name        text NOT NULL,
  uscc        text NOT NULL UNIQUE,
  kind        text NOT NULL CHECK (kind IN ('enterprise', 'university', 'research_institute')),
  contact     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE open_applications (
  id             uuid PRIMARY KEY,
  organisation   text NOT NULL REFERENCES open_organisations (principal),
  dataset        text NOT NULL,
  owner          text NOT NULL,
  purpose        text NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  due_at         timestamptz NOT NULL,
  escalated_at   timestamptz,
  decided_by     text,
  decided_at     timestamptz,
  reason         text,
  agreement      text,
  valid_until    timestamptz,
  key_hash       text UNIQUE,
  key_issued_at  timestamptz
);
CREATE INDEX open_applications_owner ON open_applications (owner, status);
CREATE INDEX open_applications_due ON open_applications (due_at) WHERE status = 'pending' AND escalated_at IS NULL;
