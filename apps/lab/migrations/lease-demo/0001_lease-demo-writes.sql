-- Up Migration
-- The lease demo (lease-handoff, the lease worker tests): every accepted write, in commit order (id).
CREATE TABLE lease_demo_writes (
  id bigserial PRIMARY KEY,
  resource text NOT NULL,
  owner text NOT NULL,
  token bigint NOT NULL,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX lease_demo_writes_resource ON lease_demo_writes (resource, id);

-- Down Migration
DROP TABLE lease_demo_writes;
