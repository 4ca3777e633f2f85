-- Scenario-based sharing: scenarios the authority defines, consumers' applications and every step
-- of their handling, and durable deadline timers that fire once whatever the number of instances.
CREATE TABLE scenarios (
  id                 text PRIMARY KEY,
  name               text NOT NULL,
  purpose            text NOT NULL,
  legal_basis        text NOT NULL,
  datasets           jsonb NOT NULL,
  allowed_roles      text[] NOT NULL,
  max_validity_days  integer NOT NULL CHECK (max_validity_days > 0),
  created_by         text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE applications (
  id                   text PRIMARY KEY,
  consumer             text NOT NULL,
  purpose              text NOT NULL,
  datasets             jsonb NOT NULL,
  valid_from           timestamptz NOT NULL,
  valid_until          timestamptz NOT NULL,
  confidentiality_ref  text,
  scenario_id          text REFERENCES scenarios (id),
  status               text NOT NULL,
  provider             text,
  jurisdiction         text NOT NULL,
  answer_due           timestamptz,
  decided_by           text,
  decided_at           timestamptz,
  reason               text,
  basis                text,
  grant_id             text,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applications_provider_status ON applications (provider, status);

CREATE TABLE application_steps (
  application_id  text NOT NULL REFERENCES applications (id),
  seq             integer NOT NULL,
  at              timestamptz NOT NULL DEFAULT now(),
  actor           text NOT NULL,
  action          text NOT NULL,
  detail          jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (application_id, seq)
);

CREATE TABLE sharing_timers (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('answer-due', 'authority-provides', 'grant-expires')),
  application_id  text NOT NULL REFERENCES applications (id),
  due_at          timestamptz NOT NULL,
  fired_at        timestamptz,
  fired_by        text
);
CREATE INDEX sharing_timers_due ON sharing_timers (due_at) WHERE fired_at IS NULL;
