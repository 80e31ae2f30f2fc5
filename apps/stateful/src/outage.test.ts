import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRedisClient, type RedisClient } from "@statelab/backend";
import { type Service, startRedis } from "@statelab/infra";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { silentLogger, testAccounts, testUserStore, uniquePrefix } from "../../../tests/support/index.js";
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
let config: ReturnType<typeof loadStatefulConfig>;

beforeAll(async () => {
  redisServer = await startRedis({ stateDir, port: REDIS_PORT, log: () => {} });
  client = createRedisClient(redisServer.url, silentLogger, { commandTimeoutMs: 500 });
  await client.connect();
  const { pool } = await testUserStore();
  config = loadStatefulConfig({
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: uniquePrefix("outage"),
    LOG_REQUESTS: "false",
  });
  const { users, authenticate, signup } = await testAccounts(pool, client, config);
  app = createApp({
    config,
    users,
    authenticate,
    signup,
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

  it("Redis paused during login (CLIENT PAUSE) → 503 with no session cookie; the sessions from before still work", async () => {
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

/** Redis command from a connection of its own (the app's client fails fast on purpose). */
async function withAdmin<T>(run: (admin: RedisClient) => Promise<T>): Promise<T> {
  const admin = createRedisClient(redisServer.url, silentLogger);
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    admin.destroy();
  }
}

const appUser = () => decodeURIComponent(new URL(redisServer.url).username);

const sessionKeys = (admin: RedisClient) => admin.keys(`${config.redisPrefix}sess:*`);

// S4 in isolation: the throttle's reads (and DEL) work, only writes fail, so login gets as far
// as saving the session. A fully paused or stopped Redis fails at the throttle's first read instead.
describe("Redis refusing writes at login (S4)", () => {
  it("out of memory (maxmemory, noeviction): login → 503 with no session cookie; reads still serve the sessions there are", async () => {
    const before = await statefulLogin(app);
    await withAdmin(async (admin) => {
      const saved = Object.fromEntries(
        await Promise.all(
          ["maxmemory", "maxmemory-policy"].map(async (name) => [name, (await admin.configGet(name))[name] as string]),
        ),
      ) as Record<string, string>;
      const keys = await sessionKeys(admin);
      try {
        await admin.configSet({ maxmemory: "1", "maxmemory-policy": "noeviction" });
        const login = await request(app).post("/auth/login").send(before.credentials);
        expect(login.status).toBe(503);
        expect(login.body.error.code).toBe("store_unavailable");
        expect(login.headers["set-cookie"]).toBeUndefined();
        await request(app).get("/me").set("Cookie", before.cookie).expect(200);
        expect((await sessionKeys(admin)).sort()).toEqual(keys.sort());
      } finally {
        await admin.configSet(saved);
      }
    });
    await statefulLogin(app, before.credentials);
  });

  it("only the session's SET refused (ACL): login → 503 with no session cookie, never a 2xx for a session Redis lacks", async () => {
    // Out of memory, the index write after the save fails too, so a login that answered
    // before saving would still end in 503. Refusing SET alone leaves the save as the only
    // thing between the client and a 200 with a dead cookie.
    const before = await statefulLogin(app);
    await withAdmin(async (admin) => {
      const keys = await sessionKeys(admin);
      try {
        // The app's own ACL user (the URL's): the lab's Redis has no anonymous default user.
        await admin.sendCommand(["ACL", "SETUSER", appUser(), "-set"]);
        const login = await request(app).post("/auth/login").send(before.credentials);
        expect(login.status).toBe(503);
        expect(login.body.error.code).toBe("store_unavailable");
        expect(login.headers["set-cookie"]).toBeUndefined();
        expect((await sessionKeys(admin)).sort()).toEqual(keys.sort());
      } finally {
        await admin.sendCommand(["ACL", "SETUSER", appUser(), "+set"]);
      }
    });
    const again = await statefulLogin(app, before.credentials);
    await request(app).get("/me").set("Cookie", again.cookie).expect(200);
  });
});
