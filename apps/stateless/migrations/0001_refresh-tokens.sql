-- Up Migration
CREATE TABLE refresh_families (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  absolute_expires_at timestamptz NOT NULL,
  user_agent text NOT NULL DEFAULT '',
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX refresh_families_live ON refresh_families (user_id) WHERE revoked_at IS NULL;
-- Only a hash of each refresh token is stored: a database dump gives away no live token.
CREATE TABLE refresh_tokens (
  token_hash bytea PRIMARY KEY,
  family_id uuid NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE TABLE token_epochs (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  epoch integer NOT NULL DEFAULT 0
);

-- Down Migration
DROP TABLE token_epochs;
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
