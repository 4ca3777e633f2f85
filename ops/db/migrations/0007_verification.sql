-- Verification (可用不可见): alerts for the data authority when a principal looks like it is
-- enumerating keys through the verification interface. One open alert per principal and China
-- date; repeated detections that day raise its count instead of adding rows.
CREATE TABLE verification_alerts (
  id                bigserial PRIMARY KEY,
  principal         text NOT NULL,
  day               date NOT NULL,
  reason            text NOT NULL,
  datasets          text[] NOT NULL DEFAULT '{}',
  distinct_keys     integer NOT NULL,
  sequential_keys   integer NOT NULL,
  detections        integer NOT NULL DEFAULT 1,
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  first_detected_at timestamptz NOT NULL DEFAULT now(),
  last_detected_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX verification_alerts_open_per_day ON verification_alerts (principal, day) WHERE status = 'open';
CREATE INDEX verification_alerts_detected ON verification_alerts (last_detected_at DESC);
