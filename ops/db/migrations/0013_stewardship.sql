-- The stewardship console: decisions on quality alerts that stick, assignment, and the keyset queue.
ALTER TABLE quality_alerts DROP CONSTRAINT quality_alerts_status_check;
ALTER TABLE quality_alerts ADD CONSTRAINT quality_alerts_status_check
  CHECK (status IN ('open', 'acknowledged', 'resolved', 'routed', 'dismissed'));
ALTER TABLE quality_alerts
  ADD COLUMN assignee    text,
  ADD COLUMN resolution  text,
  ADD COLUMN fingerprint text,
  ADD COLUMN actions     jsonb NOT NULL DEFAULT '[]';
-- Keyset paging, newest first, with and without a status filter.
CREATE INDEX quality_alerts_queue ON quality_alerts (detected_at DESC, id DESC);
CREATE INDEX quality_alerts_status_queue ON quality_alerts (status, detected_at DESC, id DESC);

-- A dismissed alert's values: the same values for the same key and fields do not raise it again.
CREATE TABLE alert_suppressions (
  dataset      text NOT NULL,
  key          text NOT NULL,
  fingerprint  text NOT NULL,
  alert_id     uuid NOT NULL,
  dismissed_by text NOT NULL,
  reason       text NOT NULL,
  dismissed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dataset, key, fingerprint)
);

-- Reported problem data (纠错): verified by the provider, corrected at the source, within the
-- jurisdiction's deadlines; overdue requests escalate to the authority.
CREATE TABLE correction_requests (
  id                 uuid PRIMARY KEY,
  dataset            text NOT NULL,
  key                text NOT NULL,
  fields             text[] NOT NULL,
  description        text NOT NULL,
  reported_by        text NOT NULL,
  reporter_role      text NOT NULL,
  provider           text NOT NULL,
  alert_id           uuid,
  jurisdiction       text NOT NULL,
  basis              text NOT NULL,
  status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'rejected', 'corrected')),
  verify_due         date NOT NULL,
  verify_due_at      timestamptz NOT NULL,
  correct_due        date,
  correct_due_at     timestamptz,
  verified_at        timestamptz,
  verified_by        text,
  verification_note  text,
  corrected_at       timestamptz,
  corrected_source   jsonb,
  escalated_at       timestamptz,
  escalation_reason  text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX correction_requests_provider ON correction_requests (provider, created_at DESC);
CREATE INDEX correction_requests_reporter ON correction_requests (reported_by, created_at DESC);
CREATE INDEX correction_requests_waiting ON correction_requests (status) WHERE status IN ('open', 'confirmed');
