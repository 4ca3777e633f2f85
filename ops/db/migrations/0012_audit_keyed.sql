-- Rows hashed with a key kept outside the database (HMAC-SHA256): a database superuser who rewrites
-- the trail cannot re-chain it without that key. Older rows keep their plain SHA-256.
ALTER TABLE audit_log ADD COLUMN keyed boolean NOT NULL DEFAULT false;
