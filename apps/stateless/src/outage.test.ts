import { randomBytes } from "node:crypto";
import net from "node:net";
import { createPgPool, migrate } from "@statelab/backend";
import pg from "pg";
import request from "supertest";
import { describe, expect, inject, it } from "vitest";
import { silentLogger, uniquePrefix } from "../../../tests/support/index.js";
import { statelessAppOn, statelessTestApp, tempKeyDir } from "../../../tests/support/stateless.js";
import { bearer, statelessLogin } from "../../../tests/support/stateless-client.js";
import { loadStatelessConfig, type StatelessConfig } from "./config.js";
import { statelessMigrations } from "./migrations.js";
import type { loadKeySet } from "./tokens/keys.js";

/** A loopback port nothing listens on (bound by us, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The stateless app on `pool` (and the users in it), with the test Redis. */
const appOn = async (pool: pg.Pool, config: StatelessConfig, keys?: ReturnType<typeof loadKeySet>) =>
  (await statelessAppOn(pool, config, keys)).app;

const outcome = (res: request.Response) => ({ status: res.status, code: res.body.error?.code });
const unavailable = { status: 503, code: "db_unavailable" };

describe("Postgres unreachable", () => {
  it("login, refresh, GET /me, the device list, ending a device, logout and logout-all → 503 db_unavailable, never 500", async () => {
    const live = await statelessTestApp();
    const pool = createPgPool(`postgres://postgres@127.0.0.1:${await closedPort()}/statelab`, silentLogger, {
      connectionTimeoutMs: 1000,
    });
    try {
      // Same keys, Redis and prefix as the live app: only Postgres is missing.
      const dead = await appOn(pool, live.config, live.keys);
      const a = await statelessLogin(live.app);
      const b = await statelessLogin(live.app, a.credentials);
      const otherDevice = JSON.parse(Buffer.from(b.accessToken.split(".")[1] as string, "base64url").toString()).fid;
      // An authenticated request on the live app caches the user's token epoch in Redis, so the
      // dead app's bearer check needs no Postgres and each route meets the outage itself.
      await request(live.app).get("/me").set(bearer(a.accessToken)).expect(200);
      const auth = bearer(a.accessToken);
      const results = {
        login: outcome(await request(dead).post("/auth/login").send(a.credentials)),
        refresh: outcome(await request(dead).post("/auth/refresh").send({ refreshToken: a.refreshToken })),
        me: outcome(await request(dead).get("/me").set(auth)),
        sessions: outcome(await request(dead).get("/auth/sessions").set(auth)),
        endDevice: outcome(await request(dead).delete(`/auth/sessions/${otherDevice}`).set(auth)),
        logout: outcome(await request(dead).post("/auth/logout").set(auth)),
        logoutAll: outcome(await request(dead).post("/auth/logout-all").set(auth)),
      };
      expect(results).toEqual({
        login: unavailable,
        refresh: unavailable,
        me: unavailable,
        sessions: unavailable,
        endDevice: unavailable,
        logout: unavailable,
        logoutAll: unavailable,
      });
    } finally {
      await pool.end();
    }
  }, 30_000);
});

describe("Postgres stops answering in the middle of a refresh", () => {
  it("the token-epoch read times out after the rotation → 503 db_unavailable, not 500", async () => {
    // A database of this test's own on the shared server: the lock below must stall no other file.
    const database = `statelab_stall_${randomBytes(4).toString("hex")}`;
    const url = new URL(inject("databaseUrl"));
    const admin = new pg.Client(url.toString());
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    url.pathname = `/${database}`;
    const pool = createPgPool(url.toString(), silentLogger, { queryTimeoutMs: 500 });
    const locker = new pg.Client(url.toString());
    try {
      await migrate(url.toString(), statelessMigrations);
      const config = loadStatelessConfig({
        DATABASE_URL: url.toString(),
        REDIS_URL: inject("redisUrl"),
        REDIS_PREFIX: uniquePrefix("sl-stall"),
        KEY_DIR: tempKeyDir(),
        LOG_REQUESTS: "false",
      });
      const app = await appOn(pool, config);
      const s = await statelessLogin(app);
      await locker.connect();
      await locker.query("BEGIN");
      // Only token_epochs stalls: the rotation and the user lookup go through, the epoch read
      // for the new access token waits on the lock until the pool's query timeout.
      await locker.query("LOCK TABLE token_epochs IN ACCESS EXCLUSIVE MODE");
      const res = await request(app).post("/auth/refresh").send({ refreshToken: s.refreshToken });
      expect(outcome(res)).toEqual(unavailable);
      await locker.query("ROLLBACK");
    } finally {
      await locker.end().catch(() => {});
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  }, 30_000);
});
