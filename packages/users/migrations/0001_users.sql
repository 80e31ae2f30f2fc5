-- Up Migration
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL,
  -- NFKC + case fold of username (RFC 8265 style); unique so Ａlice and alice are one account
  username_key text NOT NULL,
  password_hash text NOT NULL,
  display_name text NOT NULL,
  -- grows by one on every update: the optimistic-concurrency and replication version
  version bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);

-- Down Migration
DROP TABLE users;
