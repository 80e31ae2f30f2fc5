import type pg from "pg";

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** Append-only: a migration, once released, is never edited; a change is a new entry. */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "users",
    sql: `
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
    `,
  },
  {
    id: 2,
    name: "login statistics",
    sql: `
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
    `,
  },
];

/** Any constant works; it only has to be the same for every instance of statelab. */
const MIGRATION_LOCK_KEY = 0x5747_4c41;

export interface MigrateOptions {
  /** Each owner of tables (the user store, an app) keeps its own numbered list. */
  namespace?: string;
  migrations?: readonly Migration[];
}

/**
 * Applies pending migrations, each in its own transaction. A session-level
 * advisory lock serialises instances that start at the same moment: the second
 * one waits, then finds nothing to do. Returns the ids it applied.
 */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<number[]> {
  const namespace = options.namespace ?? "users";
  const migrations = options.migrations ?? MIGRATIONS;
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      namespace text NOT NULL, id integer NOT NULL, name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (namespace, id))`);
    const done = new Set(
      (
        await client.query<{ id: number }>("SELECT id FROM schema_migrations WHERE namespace = $1", [namespace])
      ).rows.map((row) => row.id),
    );
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (namespace, id, name) VALUES ($1, $2, $3)", [
          namespace,
          migration.id,
          migration.name,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
      applied.push(migration.id);
    }
  } catch (error) {
    // A broken connection may still hold the lock: destroy it rather than pool it.
    client.release(true);
    throw error;
  }
  await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
  client.release();
  return applied;
}
