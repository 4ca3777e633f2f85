-- The audit trail (Quanzhou 8(2), 8(4); Zhongshan 32, 33): who did what to whose data, for what
-- purpose, approved by whom, when and how. Append-only and hash-chained: each row's hash covers its
-- content and the previous row's hash, so a changed, deleted or inserted row breaks the chain.
-- seq is assigned by the appender (last seq + 1 under a lock), not by a sequence: a rolled-back
-- append must not leave a gap that would read as a deleted row.
CREATE TABLE audit_log (
  seq               bigint PRIMARY KEY CHECK (seq > 0),
  at                timestamptz NOT NULL,
  actor             text NOT NULL,
  actor_role        text NOT NULL,
  action            text NOT NULL,
  purpose           text,
  approver          text,
  subject_provider  text,
  datasets          text[] NOT NULL DEFAULT '{}',
  fields            text[] NOT NULL DEFAULT '{}',
  detail            jsonb NOT NULL DEFAULT '{}',
  method            text NOT NULL,
  prev_hash         text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash              text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_log_provider ON audit_log (subject_provider, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Statement level, so even a TRUNCATE or an UPDATE matching no row is refused.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
