-- A sharing timer is claimed (fired_at, fired_by), then done (done_at). A claim whose instance died
-- before it was done is claimed again once its lease has passed: a due timer is never lost with
-- the instance that claimed it. The handlers check the application's state, so a second run after
-- such a crash changes nothing that the first one finished.
ALTER TABLE sharing_timers ADD COLUMN done_at timestamptz;
UPDATE sharing_timers SET done_at = fired_at WHERE fired_at IS NOT NULL;
CREATE INDEX sharing_timers_open ON sharing_timers (due_at) WHERE done_at IS NULL;
