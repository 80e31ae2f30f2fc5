import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AppError } from "@statelab/http";
import { type Service, startPostgres, startRedis } from "@statelab/infra";
import { createLoginThrottle, createPgUserStore, usersMigrations } from "@statelab/users";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, testHasher, uniqueName, uniquePrefix } from "../../../tests/support/index.js";
import { createPgPool, createRedisClient, RedisTimeoutError } from "./clients.js";
import { migrate } from "./migrate.js";

// Servers of this file's own: stopping the shared ones would break every other file.
const stateDir = mkdtempSync(path.join(os.tmpdir(), "statelab-outage-"));
const PG_PORT = 54359;
const REDIS_PORT = 63829;
let postgres: Service;
let redis: Service;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([
    startPostgres({ stateDir, port: PG_PORT, database: "outage", fast: true, log: () => {} }),
    startRedis({ stateDir, port: REDIS_PORT, log: () => {} }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([postgres?.stop(), redis?.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: unknown) => (error instanceof AppError ? error.code : `raw: ${String(error)}`),
  );

describe("Postgres restarted under a live pool", () => {
  it("queries fail fast with 503 db_unavailable while it is down, and the same pool recovers after", async () => {
    const pool = createPgPool(postgres.url, silentLogger, { connectionTimeoutMs: 1000 });
    try {
      await migrate(postgres.url, [usersMigrations]);
      const users = createPgUserStore({ pool, hasher: await testHasher() });
      const user = await users.create({ username: uniqueName(), password: "password-1" });

      await postgres.stop();
      const started = Date.now();
      await expect(codeOf(users.findById(user.id))).resolves.toBe("db_unavailable");
      expect(Date.now() - started).toBeLessThan(5000);

      postgres = await startPostgres({ stateDir, port: PG_PORT, database: "outage", fast: true, log: () => {} });
      // The pool's idle clients died with the server; it must replace them by itself.
      let found = null;
      for (let attempt = 0; attempt < 20 && !found; attempt++) {
        found = await users.findById(user.id).catch(() => null);
        if (!found) await new Promise((r) => setTimeout(r, 100));
      }
      expect(found).toMatchObject({ id: user.id });
    } finally {
      await pool.end();
    }
  }, 60_000);
});

describe("a Redis that accepts commands but does not answer (CLIENT PAUSE)", () => {
  it("every command, and a MULTI's exec, fails within the deadline instead of hanging", async () => {
    const client = createRedisClient(redis.url, silentLogger, { commandTimeoutMs: 300 });
    const admin = createRedisClient(redis.url, silentLogger);
    await Promise.all([client.connect(), admin.connect()]);
    try {
      await client.set("deadline:k", "1");
      await admin.sendCommand(["CLIENT", "PAUSE", "1500", "ALL"]);
      const started = Date.now();
      await expect(client.get("deadline:k")).rejects.toBeInstanceOf(RedisTimeoutError);
      await expect(client.multi().get("deadline:k").incr("deadline:n").exec()).rejects.toBeInstanceOf(
        RedisTimeoutError,
      );
      expect(Date.now() - started).toBeLessThan(1200);
      await new Promise((r) => setTimeout(r, 1500));
      // After the pause the same client works again; the late replies were dropped in order.
      await expect(client.get("deadline:k")).resolves.toBe("1");
    } finally {
      await admin.sendCommand(["CLIENT", "UNPAUSE"]).catch(() => {});
      client.destroy();
      admin.destroy();
    }
  }, 30_000);
});

describe("Redis down under the login throttle", () => {
  it("fails closed within the command timeout (503 store_unavailable), then recovers by itself", async () => {
    const client = createRedisClient(redis.url, silentLogger, { commandTimeoutMs: 500 });
    await client.connect();
    try {
      const throttle = createLoginThrottle({ redis: client, keyPrefix: uniquePrefix() });
      const attempt = { username: "someone", ip: "10.1.1.1", deviceId: null };
      await throttle.reserve(attempt);

      await redis.stop();
      const started = Date.now();
      await expect(codeOf(throttle.reserve(attempt))).resolves.toBe("store_unavailable");
      expect(Date.now() - started).toBeLessThan(3000);

      redis = await startRedis({ stateDir, port: REDIS_PORT, log: () => {} });
      let recovered = false;
      for (let round = 0; round < 40 && !recovered; round++) {
        recovered = (await codeOf(throttle.reserve(attempt))) === "resolved";
        if (!recovered) await new Promise((r) => setTimeout(r, 100));
      }
      expect(recovered).toBe(true);
    } finally {
      client.destroy();
    }
  }, 60_000);
});
