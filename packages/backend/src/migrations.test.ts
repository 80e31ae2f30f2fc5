import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { silentLogger, uniqueName } from "../../../tests/support/index.js";
import { createPgPool } from "./clients.js";
import { MIGRATIONS, migrate } from "./migrations.js";

/** A database of this test's own, so "first run" really is a first run. */
async function freshDatabase(): Promise<string> {
  const url = new URL(inject("databaseUrl"));
  const name = uniqueName("mig");
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  afterAll(async () => {
    const cleanup = new pg.Client({ connectionString: url.toString() });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  });
  url.pathname = `/${name}`;
  return url.toString();
}

describe("migrate", () => {
  it("five instances starting at once: each migration applied exactly once", async () => {
    const url = await freshDatabase();
    const pools = Array.from({ length: 5 }, () => createPgPool(url, silentLogger));
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool)));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.id));
      const { rows } = await (pools[0] as pg.Pool).query("SELECT id FROM schema_migrations ORDER BY id");
      expect(rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it("is idempotent: a second run applies nothing and keeps the data", async () => {
    const url = await freshDatabase();
    const pool = createPgPool(url, silentLogger);
    try {
      await migrate(pool);
      await pool.query(
        "INSERT INTO users (username, username_key, password_hash, display_name) VALUES ('a','a','h','a')",
      );
      await expect(migrate(pool)).resolves.toEqual([]);
      const { rows } = await pool.query("SELECT count(*)::int AS n FROM users");
      expect(rows[0].n).toBe(1);
    } finally {
      await pool.end();
    }
  });
});

describe("migrate with namespaces", () => {
  it("an app's own list runs beside the user store's, each tracked by namespace", async () => {
    const url = await freshDatabase();
    const pool = createPgPool(url, silentLogger);
    try {
      await migrate(pool);
      const appMigrations = [{ id: 1, name: "notes", sql: "CREATE TABLE notes (id int PRIMARY KEY)" }];
      await expect(migrate(pool, { namespace: "app", migrations: appMigrations })).resolves.toEqual([1]);
      await expect(migrate(pool, { namespace: "app", migrations: appMigrations })).resolves.toEqual([]);
      const { rows } = await pool.query("SELECT namespace, id FROM schema_migrations ORDER BY namespace, id");
      expect(rows).toEqual([{ namespace: "app", id: 1 }, ...MIGRATIONS.map((m) => ({ namespace: "users", id: m.id }))]);
    } finally {
      await pool.end();
    }
  });

  it("a failing migration rolls back and leaves nothing half-applied", async () => {
    const url = await freshDatabase();
    const pool = createPgPool(url, silentLogger);
    try {
      const broken = [{ id: 1, name: "broken", sql: "CREATE TABLE half (id int); SELECT no_such_function()" }];
      await expect(migrate(pool, { namespace: "broken", migrations: broken })).rejects.toThrow();
      const { rows } = await pool.query("SELECT to_regclass('half') AS t");
      expect(rows[0].t).toBeNull();
      await expect(migrate(pool)).resolves.toEqual(MIGRATIONS.map((m) => m.id));
    } finally {
      await pool.end();
    }
  });
});
