-- Crawl detection no longer depends on keys being sequential: an alert names what tripped it
-- (distinct-keys, mismatch-rate) and keeps the counts of each trigger.
ALTER TABLE verification_alerts
  ADD COLUMN triggers text[] NOT NULL DEFAULT '{}',
  ADD COLUMN calls integer NOT NULL DEFAULT 0,
  ADD COLUMN mismatched_calls integer NOT NULL DEFAULT 0;

-- Earlier alerts were all raised by mostly sequential keys; their counts stay in the reason text.
UPDATE verification_alerts SET triggers = '{sequential-keys}';

ALTER TABLE verification_alerts DROP COLUMN sequential_keys;
