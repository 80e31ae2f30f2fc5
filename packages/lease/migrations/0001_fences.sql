-- Up Migration
-- The highest fencing token that ever wrote to each resource: the storage's own
-- memory of who is newest, which a paused process cannot argue with.
CREATE TABLE lease_fences (
  resource text PRIMARY KEY,
  token bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE lease_fences;
