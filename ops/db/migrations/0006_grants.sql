-- Sharing grants: what a consumer may read, enforced by Kafka ACLs on its share topics. The row is
-- the truth the ACLs and the share streamer are rebuilt from after a restart; the salt keys the
-- grant's hashes (masked values and hashed keys), so it never leaves the hub.
CREATE TABLE grants (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{1,40}$'),
  consumer      text NOT NULL,
  purpose       text NOT NULL,
  datasets      jsonb NOT NULL,
  unmasked      text[] NOT NULL DEFAULT '{}',
  masking       jsonb NOT NULL DEFAULT '{}',
  status        text NOT NULL CHECK (status IN ('pending', 'active', 'expired', 'revoked', 'suspended')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  ended_at      timestamptz,
  ended_reason  text CHECK (ended_reason IN ('expired', 'revoked', 'suspended')),
  salt          text NOT NULL,
  CHECK ((status IN ('pending', 'active')) = (ended_at IS NULL))
);

CREATE INDEX grants_consumer ON grants (consumer);
CREATE INDEX grants_live_expiry ON grants (expires_at) WHERE status IN ('pending', 'active');
