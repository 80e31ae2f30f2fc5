-- Up Migration
-- Written only by the holder of the login-stats lease, fenced by its token.
-- deployment: the Redis key prefix the counts came from (deployments may share a database).
CREATE TABLE login_stats (
  deployment text NOT NULL,
  minute timestamptz NOT NULL,
  succeeded bigint NOT NULL,
  failed bigint NOT NULL,
  fence_token bigint NOT NULL,
  rolled_up_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (deployment, minute)
);

-- Down Migration
DROP TABLE login_stats;
