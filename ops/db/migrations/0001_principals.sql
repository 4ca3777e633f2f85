-- Principals: every caller of the hub (people's tools, departments, consumers, the hub itself).
-- Only a SHA-256 of each API token is kept; tokens are 256-bit random, so no slow hash is needed.
CREATE TABLE principals (
  name          text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9._-]{1,62}$'),
  role          text NOT NULL CHECK (role IN ('authority', 'steward', 'department', 'consumer', 'auditor', 'service')),
  token_hash    text NOT NULL UNIQUE,
  kafka_user    text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  rotated_at    timestamptz,
  disabled_at   timestamptz
);
