import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Service, startRedis } from "@statelab/infra";
import { createAuthenticator, createLoginThrottle, createRedisClient, type RedisClient } from "@statelab/users";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { silentLogger, testUserStore, uniquePrefix } from "../../../tests/support/index.js";
import { TEST_SECRET } from "../../../tests/support/stateful.js";
import { sleep, statefulLogin } from "../../../tests/support/stateful-client.js";
import { createApp } from "./app.js";
import { loadStatefulConfig } from "./config.js";

// A Redis of this file's own: stopping the shared one would break every other file.
const stateDir = mkdtempSync(path.join(os.tmpdir(), "statelab-sf-outage-"));
const REDIS_PORT = 63841;
let redisServer: Service;
let client: RedisClient;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  redisServer = await startRedis({ stateDir, port: REDIS_PORT, log: () => {} });
  client = createRedisClient(redisServer.url, silentLogger, { commandTimeoutMs: 500 });
  await client.connect();
  const { users, pool } = await testUserStore();
  const config = loadStatefulConfig({
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: uniquePrefix("outage"),
    LOG_REQUESTS: "false",
  });
  const throttle = createLoginThrottle({ redis: client, keyPrefix: config.redisPrefix });
  app = createApp({
    config,
    users,
    authenticate: createAuthenticator({ users, throttle }),
    redis: client,
    secret: TEST_SECRET,
    logger: silentLogger,
    readiness: { postgres: () => pool.query("SELECT 1"), redis: () => client.ping() },
  });
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await redisServer?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("Redis down", () => {
  it("→ 503 store_unavailable fast (no hang), login never 2xx, /readyz 503; then recovery with no restart", async () => {
    const session = await statefulLogin(app);
    await redisServer.stop();

    const started = Date.now();
    const me = await request(app).get("/me").set("Cookie", session.cookie);
    expect(me.status).toBe(503);
    expect(me.body.error.code).toBe("store_unavailable");
    expect(Date.now() - started).toBeLessThan(2000);

    const login = await request(app).post("/auth/login").send(session.credentials);
    expect(login.status).toBe(503);
    expect(login.headers["set-cookie"]).toBeUndefined();
    const ready = await request(app).get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body.checks.redis).toMatch(/^down/);
    // The process is alive and answers what needs no store.
    await request(app).get("/healthz").expect(200);

    redisServer = await startRedis({ stateDir, port: REDIS_PORT, log: () => {} });
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await request(app).post("/auth/login").send(session.credentials)).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
    await request(app).get("/readyz").expect(200);
  }, 30_000);

  it("Redis paused during login (CLIENT PAUSE) → 503, never a 2xx with a cookie for an unsaved session (S4)", async () => {
    const session = await statefulLogin(app);
    const admin = createRedisClient(redisServer.url, silentLogger);
    await admin.connect();
    try {
      await admin.sendCommand(["CLIENT", "PAUSE", "1500", "ALL"]);
      const login = await request(app).post("/auth/login").send(session.credentials);
      expect(login.status).toBe(503);
      expect(String(login.headers["set-cookie"] ?? "")).not.toContain("sl_sid=");
      await sleep(1600);
      // Every login that did answer 2xx works (here: the one from before the pause, and a new one).
      await request(app).get("/me").set("Cookie", session.cookie).expect(200);
      const again = await statefulLogin(app, session.credentials);
      await request(app).get("/me").set("Cookie", again.cookie).expect(200);
    } finally {
      await admin.sendCommand(["CLIENT", "UNPAUSE"]).catch(() => {});
      admin.destroy();
    }
  }, 30_000);
});
