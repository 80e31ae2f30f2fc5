import { readFileSync } from "node:fs";
import path from "node:path";
import { createPgUserStore, usersMigrations } from "@statelab/users";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { silentLogger, testHasher, uniqueName } from "../../../tests/support/index.js";
import { createPgPool } from "./clients.js";
import { assertMigrated, migrate, PendingMigrationsError } from "./migrate.js";
import { backendMigrations } from "./migrations.js";

/** Runs `sql` as the server's superuser (the test setup's own role). */
async function asAdmin(sql: string, url = inject("databaseUrl")): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A database of this test's own, so "first run" really is a first run; dropped after the file. */
async function freshDatabase(): Promise<string> {
  const name = uniqueName("mig");
  await asAdmin(`CREATE DATABASE ${name}`);
  afterAll(() => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(inject("databaseUrl"));
  url.pathname = `/${name}`;
  return url.toString();
}

/** Every file of the backend's sets, as migrate() names what it applied. */
const allNames = ["users/0001_users", "lease/0001_fences", "login-stats/0001_login-stats"];

/** The up section of a migration file: what the runner before node-pg-migrate ran for it. */
const upSql = (dir: string, name: string) =>
  readFileSync(path.join(dir, `${name}.sql`), "utf8").split("-- Down Migration")[0] ?? "";

describe("migrate (node-pg-migrate, one record table per owner)", () => {
  it("five migrators at once: every file applied exactly once", async () => {
    const url = await freshDatabase();
    const applied = await Promise.all(Array.from({ length: 5 }, () => migrate(url, backendMigrations)));
    expect(applied.flat().sort()).toEqual([...allNames].sort());
    expect(applied.filter((list) => list.length > 0)).toHaveLength(1);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT name FROM pgmigrations_users");
    await client.end();
    expect(rows).toEqual([{ name: "0001_users" }]);
  });

  it("is idempotent: a second run applies nothing and keeps the data", async () => {
    const url = await freshDatabase();
    await migrate(url, backendMigrations);
    await asAdmin(
      "INSERT INTO users (username, username_key, password_hash, display_name) VALUES ('a','a','h','a')",
      url,
    );
    await expect(migrate(url, backendMigrations)).resolves.toEqual([]);
    const pool = createPgPool(url, silentLogger);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM users");
    await pool.end();
    expect(rows[0].n).toBe(1);
  });

  it("a database the runner before node-pg-migrate migrated is adopted, not migrated again", async () => {
    const url = await freshDatabase();
    const [users, lease, stats] = backendMigrations as [
      (typeof backendMigrations)[number],
      (typeof backendMigrations)[number],
      (typeof backendMigrations)[number],
    ];
    // Exactly what the old runner left: its tables, and schema_migrations by namespace and id.
    await asAdmin(
      `CREATE TABLE schema_migrations (namespace text NOT NULL, id integer NOT NULL, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (namespace, id));
       ${upSql(users.dir, "0001_users")} ${upSql(stats.dir, "0001_login-stats")} ${upSql(lease.dir, "0001_fences")}
       INSERT INTO schema_migrations (namespace, id, name) VALUES ('users', 1, 'users'), ('users', 2, 'login statistics'), ('lease', 1, 'fences');
       INSERT INTO users (username, username_key, password_hash, display_name) VALUES ('old','old','h','old');`,
      url,
    );
    const pool = createPgPool(url, silentLogger);
    try {
      // Read rights are enough to see it is complete: an instance not told to migrate starts on it.
      await expect(assertMigrated(pool, backendMigrations)).resolves.toBeUndefined();
      await expect(migrate(url, backendMigrations)).resolves.toEqual([]);
      const { rows } = await pool.query("SELECT name FROM pgmigrations_login_stats");
      expect(rows).toEqual([{ name: "0001_login-stats" }]);
      expect((await pool.query("SELECT username FROM users")).rows).toEqual([{ username: "old" }]);
      // The old record stays, so an old instance of a rolling upgrade still starts.
      expect((await pool.query("SELECT count(*)::int AS n FROM schema_migrations")).rows[0].n).toBe(3);
    } finally {
      await pool.end();
    }
  });

  it("a failed migration leaves nothing half-applied and is tried again next time", async () => {
    const url = await freshDatabase();
    await asAdmin("CREATE TABLE users (id int)", url);
    await expect(migrate(url, [usersMigrations])).rejects.toThrow(/already exists/);
    await asAdmin("DROP TABLE users", url);
    await expect(migrate(url, [usersMigrations])).resolves.toEqual(["users/0001_users"]);
  });
});

describe("an instance not told to migrate", () => {
  it("refuses to start on a database that lacks migrations, naming them and the command", async () => {
    const url = await freshDatabase();
    const pool = createPgPool(url, silentLogger);
    try {
      const error = await assertMigrated(pool, backendMigrations).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PendingMigrationsError);
      expect(String((error as Error).message)).toMatch(
        /3 migrations \(users\/0001_users, lease\/0001_fences, login-stats\/0001_login-stats\).*npm run migrate/,
      );
    } finally {
      await pool.end();
    }
  });

  it("runs under a role without DDL rights once `npm run migrate` has run; that role cannot migrate", async () => {
    const url = await freshDatabase();
    await migrate(url, backendMigrations);
    const role = uniqueName("app");
    // The test cluster asks every role for a password (scram), as the lab's does.
    const password = uniqueName("pw");
    const dbName = new URL(url).pathname.slice(1);
    await asAdmin(
      `CREATE ROLE ${role} LOGIN PASSWORD '${password}';
       GRANT CONNECT ON DATABASE ${dbName} TO ${role};`,
    );
    afterAll(() => asAdmin(`DROP OWNED BY ${role} CASCADE; DROP ROLE IF EXISTS ${role}`, url).catch(() => {}));
    await asAdmin(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
       GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role};`,
      url,
    );
    const asApp = new URL(url);
    asApp.username = role;
    asApp.password = password;
    const pool = createPgPool(asApp.toString(), silentLogger);
    try {
      await expect(assertMigrated(pool, backendMigrations)).resolves.toBeUndefined();
      const users = createPgUserStore({ pool, hasher: await testHasher() });
      const user = await users.create({ username: uniqueName(), password: "password-1" });
      expect(await users.findById(user.id)).toMatchObject({ id: user.id });
      await expect(pool.query("CREATE TABLE sneaky (id int)")).rejects.toThrow(/permission denied/);
    } finally {
      await pool.end();
    }
  });
});
