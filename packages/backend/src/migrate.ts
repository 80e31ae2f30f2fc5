import { readdirSync } from "node:fs";
import { runner } from "node-pg-migrate";
import pg from "pg";

/**
 * One owner's schema: a folder of node-pg-migrate SQL files (`NNNN_name.sql`, an
 * `-- Up Migration` and a `-- Down Migration` section) and its own record table, so
 * owners (the user store, the lease, an app) number their migrations apart.
 * Append-only: a released file is never edited; a change is a new file.
 */
export interface MigrationSet {
  name: string;
  /** Absolute path of the folder of .sql files. */
  dir: string;
  /**
   * How the runner before node-pg-migrate recorded these files in `schema_migrations`
   * (namespace, numeric id → file name without .sql): a database it migrated is adopted
   * as it is instead of being migrated again.
   */
  legacy?: { namespace: string; ids: Readonly<Record<number, string>> };
}

/** The runner before node-pg-migrate locked with this key: old and new code never migrate at once. */
const MIGRATION_LOCK_KEY = 0x5747_4c41;

const recordTable = (set: MigrationSet) => `pgmigrations_${set.name.replace(/[^a-z0-9]/gi, "_")}`;
const fileNames = (set: MigrationSet) =>
  readdirSync(set.dir)
    .filter((file) => file.endsWith(".sql"))
    .map((file) => file.slice(0, -".sql".length))
    .sort();

async function tableExists(client: pg.ClientBase, table: string): Promise<boolean> {
  const { rows } = await client.query("SELECT to_regclass($1) IS NOT NULL AS present", [table]);
  return rows[0]?.present === true;
}

/** The files of `set` a database already has: in its record table, or recorded by the runner before it. */
async function appliedNames(client: pg.ClientBase, set: MigrationSet): Promise<Set<string>> {
  const applied = new Set<string>();
  if (await tableExists(client, recordTable(set))) {
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${recordTable(set)}`);
    for (const row of rows) applied.add(row.name);
  }
  for (const entry of await legacyApplied(client, set)) applied.add(entry.name);
  return applied;
}

async function legacyApplied(client: pg.ClientBase, set: MigrationSet): Promise<Array<{ name: string; at: Date }>> {
  if (!set.legacy || !(await tableExists(client, "schema_migrations"))) return [];
  const { rows } = await client.query<{ id: number; applied_at: Date }>(
    "SELECT id, applied_at FROM schema_migrations WHERE namespace = $1 ORDER BY id",
    [set.legacy.namespace],
  );
  return rows.flatMap((row) => {
    const name = set.legacy?.ids[row.id];
    return name === undefined ? [] : [{ name, at: row.applied_at }];
  });
}

/**
 * A database migrated by the runner before node-pg-migrate: its files are written into
 * the record table as already run (at their old times, in their order), once. The old
 * `schema_migrations` stays, so an old instance of a rolling upgrade still starts.
 */
async function adoptLegacy(client: pg.ClientBase, set: MigrationSet): Promise<void> {
  const table = recordTable(set);
  const legacy = await legacyApplied(client, set);
  if (legacy.length === 0) return;
  // The shape node-pg-migrate creates (and checks) for its record table.
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)`,
  );
  const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${table}`);
  const recorded = new Set(rows.map((row) => row.name));
  for (const entry of legacy.filter((e) => !recorded.has(e.name))) {
    await client.query(`INSERT INTO ${table} (name, run_on) VALUES ($1, $2)`, [entry.name, entry.at]);
  }
}

/**
 * Applies the pending migrations of `sets`, in order, each file in its own transaction.
 * A session advisory lock serialises everyone migrating at once (instances told to
 * migrate at start, `npm run migrate`): the second waits, then finds nothing to do.
 * Needs a role that may create tables; resolves to the names of the files it applied.
 */
export async function migrate(
  databaseUrl: string,
  sets: readonly MigrationSet[],
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    for (const set of sets) {
      await adoptLegacy(client, set);
      const ran = await runner({
        dbClient: client,
        dir: set.dir,
        migrationsTable: recordTable(set),
        direction: "up",
        // This function's own lock (the old runner's key) already serialises every migrator.
        noLock: true,
        checkOrder: true,
        log: () => {},
      });
      for (const migration of ran) {
        log(`migrated ${set.name}: ${migration.name}`);
        applied.push(`${set.name}/${migration.name}`);
      }
    }
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
  } finally {
    // A broken session drops its advisory lock with it.
    await client.end();
  }
  return applied;
}

/** Thrown at start when the database lacks migrations this code needs. */
export class PendingMigrationsError extends Error {
  override readonly name = "PendingMigrationsError";
}

/**
 * Checks, with read rights only, that every migration of `sets` is in the database;
 * throws PendingMigrationsError naming what is missing and how to apply it otherwise.
 * What an instance that was not told to migrate does at start.
 */
export async function assertMigrated(pool: pg.Pool, sets: readonly MigrationSet[]): Promise<void> {
  const client = await pool.connect();
  try {
    const missing: string[] = [];
    for (const set of sets) {
      const applied = await appliedNames(client, set);
      missing.push(
        ...fileNames(set)
          .filter((name) => !applied.has(name))
          .map((name) => `${set.name}/${name}`),
      );
    }
    if (missing.length > 0) {
      throw new PendingMigrationsError(
        `the database lacks ${missing.length} migration${missing.length === 1 ? "" : "s"} (${missing.join(", ")}): ` +
          "run `npm run migrate` once (a role that may create tables), or start with MIGRATE_ON_START=true",
      );
    }
  } finally {
    client.release();
  }
}
