import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRedisClient, type RedisClient } from "@statelab/backend";
import { type Service, startRedis } from "@statelab/infra";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { silentLogger, testAccounts, testUserStore, uniquePrefix } from "../../../tests/support/index.js";
import { statelessTestApp, tempKeyDir } from "../../../tests/support/stateless.js";
import { bearer, statelessLogin } from "../../../tests/support/stateless-client.js";
import { createApp } from "./app.js";
import { loadStatelessConfig } from "./config.js";
import { loadKeySet } from "./tokens/keys.js";
import { createRevocation } from "./tokens/revocation.js";

const me = (app: Parameters<typeof request>[0], token: string) => request(app).get("/me").set(bearer(token));

describe("REVOCATION=denylist (J6)", () => {
  it("after logout the access token → 401 at once; its jti is in Redis with TTL = its remaining life", async () => {
    const h = await statelessTestApp();
    const s = await statelessLogin(h.app);
    await me(h.app, s.accessToken).expect(200);
    await request(h.app).post("/auth/logout").set(bearer(s.accessToken)).expect(204);
    const res = await me(h.app, s.accessToken);
    expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 401, code: "token_invalid" });
    const jti = JSON.parse(Buffer.from(s.accessToken.split(".")[1] as string, "base64url").toString()).jti;
    const ttl = await h.redis.pTTL(`${h.config.redisPrefix}deny:jti:${jti}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual((h.config.accessTtlSeconds + h.config.clockToleranceSeconds) * 1000);
  });

  it("logout-all raises the epoch: every access token of the user → 401, a new login works", async () => {
    const h = await statelessTestApp();
    const a = await statelessLogin(h.app);
    const b = await statelessLogin(h.app, a.credentials);
    await request(h.app).post("/auth/logout-all").set(bearer(a.accessToken)).expect(204);
    expect((await me(h.app, a.accessToken)).status).toBe(401);
    expect((await me(h.app, b.accessToken)).status).toBe(401);
    const again = await statelessLogin(h.app, a.credentials);
    await me(h.app, again.accessToken).expect(200);
  });

  it("the epoch survives losing its Redis cache (read back from Postgres)", async () => {
    const h = await statelessTestApp();
    const a = await statelessLogin(h.app);
    await request(h.app).post("/auth/logout-all").set(bearer(a.accessToken)).expect(204);
    await h.redis.del(`${h.config.redisPrefix}epoch:${a.userId}`);
    expect((await me(h.app, a.accessToken)).status).toBe(401);
  });

  it("ending another device by handle kills its access token at once", async () => {
    const h = await statelessTestApp();
    const a = await statelessLogin(h.app);
    const b = await statelessLogin(h.app, a.credentials);
    const list = (await request(h.app).get("/auth/sessions").set(bearer(a.accessToken)).expect(200)).body.sessions;
    const other = list.find((s: { current: boolean }) => !s.current);
    await request(h.app).delete(`/auth/sessions/${other.handle}`).set(bearer(a.accessToken)).expect(204);
    expect((await me(h.app, b.accessToken)).status).toBe(401);
    await me(h.app, a.accessToken).expect(200);
  });

  it("a verified-token cache never outlives revocation: a cached token is refused right after logout", async () => {
    const h = await statelessTestApp({ VERIFY_CACHE_SIZE: "100" });
    const s = await statelessLogin(h.app);
    for (let i = 0; i < 3; i++) await me(h.app, s.accessToken).expect(200);
    await request(h.app).post("/auth/logout").set(bearer(s.accessToken)).expect(204);
    expect((await me(h.app, s.accessToken)).status).toBe(401);
  });

  it("a cached token still expires on time", async () => {
    const h = await statelessTestApp({ ACCESS_TTL: "1", CLOCK_TOLERANCE: "0" });
    const s = await statelessLogin(h.app);
    await me(h.app, s.accessToken).expect(200);
    await new Promise((r) => setTimeout(r, 1100));
    const res = await me(h.app, s.accessToken);
    expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 401, code: "token_expired" });
  });
});

describe("the epoch cache never goes back (J8)", () => {
  it("a fill that read Postgres before a logout-all and writes after it cannot restore the old epoch", async () => {
    const h = await statelessTestApp();
    const s = await statelessLogin(h.app);
    // The fill's read happens now (epoch 0), but its answer is held back until the test lets go:
    // the interleaving a slow request on another instance gets by chance.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stalling = new Proxy(h.pool, {
      get(target, key) {
        if (key !== "query") return Reflect.get(target, key, target);
        return async (text: string, values: unknown[]) => {
          const result = await target.query(text, values);
          if (text.includes("FROM token_epochs")) await held;
          return result;
        };
      },
    });
    const revocation = (pool: typeof h.pool) =>
      createRevocation({
        mode: "denylist",
        redis: h.redis,
        pool,
        prefix: h.config.redisPrefix,
        accessTtlSeconds: h.config.accessTtlSeconds,
        clockToleranceSeconds: h.config.clockToleranceSeconds,
        failOpen: false,
        logger: silentLogger,
      });
    const claims = JSON.parse(Buffer.from(s.accessToken.split(".")[1] as string, "base64url").toString());
    await h.redis.del(`${h.config.redisPrefix}epoch:${s.userId}`);
    const fill = revocation(stalling)
      .check(claims)
      .then(
        () => "accepted",
        () => "refused",
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Meanwhile, logout-all on another instance: Postgres and the cache say epoch 1.
    await revocation(h.pool).raiseEpoch(s.userId);
    release();
    // The straggling fill itself now sees the newer epoch, and so does everything after it.
    expect(await fill).toBe("refused");
    expect(await h.redis.get(`${h.config.redisPrefix}epoch:${s.userId}`)).toBe("1");
    expect((await me(h.app, s.accessToken)).status).toBe(401);
  });

  it("logout-all raced against many cache fills over HTTP: afterwards no old token is accepted", async () => {
    const h = await statelessTestApp();
    for (let round = 0; round < 5; round++) {
      const old = await statelessLogin(h.app);
      const other = await statelessLogin(h.app, old.credentials);
      await h.redis.del(`${h.config.redisPrefix}epoch:${old.userId}`);
      await Promise.all([
        ...Array.from({ length: 20 }, () => me(h.app, old.accessToken)),
        request(h.app).post("/auth/logout-all").set(bearer(other.accessToken)).expect(204),
      ]);
      for (const token of [old.accessToken, other.accessToken]) expect((await me(h.app, token)).status).toBe(401);
    }
  });
});

describe("REVOCATION=none (truly stateless)", () => {
  it("a logged-out access token keeps working until it expires; the refresh token dies at once", async () => {
    const h = await statelessTestApp({ REVOCATION: "none" });
    const s = await statelessLogin(h.app);
    await request(h.app).post("/auth/logout").set(bearer(s.accessToken)).expect(204);
    await me(h.app, s.accessToken).expect(200);
    expect((await request(h.app).post("/auth/refresh").send({ refreshToken: s.refreshToken })).status).toBe(401);
  });
});

describe("Redis down", () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "statelab-sl-outage-"));
  const PORT = 63851;
  let redisServer: Service;
  let client: RedisClient;
  const apps: Record<string, ReturnType<typeof createApp>> = {};

  beforeAll(async () => {
    redisServer = await startRedis({ stateDir, port: PORT, log: () => {} });
    client = createRedisClient(redisServer.url, silentLogger, { commandTimeoutMs: 500 });
    await client.connect();
    const { pool } = await testUserStore();
    const keyDir = tempKeyDir();
    const prefix = uniquePrefix("sl-down");
    for (const [name, env] of Object.entries({
      closed: {},
      open: { DENYLIST_FAIL_OPEN: "true" },
      none: { REVOCATION: "none" },
    })) {
      const config = loadStatelessConfig({
        DATABASE_URL: inject("databaseUrl"),
        REDIS_URL: redisServer.url,
        REDIS_PREFIX: prefix,
        KEY_DIR: keyDir,
        LOG_REQUESTS: "false",
        ...env,
      });
      const { users, authenticate, signup } = await testAccounts(pool, client, config);
      apps[name] = createApp({
        config,
        users,
        authenticate,
        signup,
        pool,
        redis: client,
        keys: loadKeySet(keyDir, "EdDSA"),
        logger: silentLogger,
      });
    }
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await redisServer?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const app = (name: string) => apps[name] as ReturnType<typeof createApp>;

  it("denylist fails closed (503) by default, open by flag; REVOCATION=none keeps /me working", async () => {
    const s = await statelessLogin(app("closed"));
    await redisServer.stop();
    const closed = await me(app("closed"), s.accessToken);
    expect({ status: closed.status, code: closed.body.error.code }).toEqual({ status: 503, code: "store_unavailable" });
    await me(app("open"), s.accessToken).expect(200);
    await me(app("none"), s.accessToken).expect(200);
    // Logins need the throttle's counters: 503, never an unthrottled login.
    expect((await request(app("none")).post("/auth/login").send(s.credentials)).status).toBe(503);
    redisServer = await startRedis({ stateDir, port: PORT, log: () => {} });
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await me(app("closed"), s.accessToken)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  }, 30_000);

  it("DENYLIST_FAIL_OPEN opens reads only: logout, DELETE /auth/sessions/:handle and logout-all → 503 store_unavailable, never 500 or 204", async () => {
    const open = app("open");
    const a = await statelessLogin(open);
    const b = await statelessLogin(open, a.credentials);
    const otherDevice = JSON.parse(Buffer.from(b.accessToken.split(".")[1] as string, "base64url").toString()).fid;
    await redisServer.stop();
    try {
      await me(open, a.accessToken).expect(200);
      const results = [
        await request(open).delete(`/auth/sessions/${otherDevice}`).set(bearer(a.accessToken)),
        await request(open).post("/auth/logout").set(bearer(a.accessToken)),
        await request(open).post("/auth/logout-all").set(bearer(a.accessToken)),
      ];
      expect(results.map((r) => ({ status: r.status, code: r.body.error?.code }))).toEqual(
        Array(3).fill({ status: 503, code: "store_unavailable" }),
      );
    } finally {
      redisServer = await startRedis({ stateDir, port: PORT, log: () => {} });
    }
  }, 30_000);
});
