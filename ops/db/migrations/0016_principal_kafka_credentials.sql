-- Each principal's Kafka SCRAM credential as the hub set it: the salt, and the salted password sealed
-- with AES-256-GCM under a key derived from the state folder's keyHashSecret (the salted password
-- alone logs in, so it never rests here in clear). A restore onto a new cluster gives every
-- principal back the password it was issued, provided the secrets come with it.
CREATE TABLE principal_kafka_credentials (
  username    text PRIMARY KEY,
  iterations  integer NOT NULL,
  salt        bytea NOT NULL,
  sealed      bytea NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
