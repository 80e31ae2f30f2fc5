import { createClient } from "redis";
import request from "supertest";
import { describe, expect, inject, it } from "vitest";
import { statefulTestApp } from "../../../tests/support/stateful.js";
import { sleep, statefulLogin } from "../../../tests/support/stateful-client.js";
import { hashSessionId } from "./session-store.js";

/** The Redis commands (names) that touched keys under `prefix` while `run` ran, seen through MONITOR. */
async function redisCommandsDuring(prefix: string, run: () => Promise<void>): Promise<string[]> {
  const monitor = createClient({ url: inject("redisUrl") });
  await monitor.connect();
  const seen: string[] = [];
  try {
    // MONITOR sees every client's commands; an app's keys all start with its own prefix.
    await monitor.monitor((line) => {
      if (line.includes(prefix)) seen.push(line);
    });
    await run();
    await sleep(200); // a save runs as the response ends
  } finally {
    monitor.destroy();
  }
  return seen.map((line) => /\] "([^"]+)"/.exec(line)?.[1]?.toUpperCase() ?? line);
}

// Short TTLs from config instead of long sleeps. SESSION_TTL=2 → refresh margin 200 ms.
describe("soft state (S5, S6)", () => {
  it("idle past SESSION_TTL → 401 session_expired, and Redis dropped the key by itself", async () => {
    const h = await statefulTestApp({ SESSION_TTL: "1" });
    const s = await statefulLogin(h.app);
    await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
    await sleep(1300);
    const res = await request(h.app).get("/me").set("Cookie", s.cookie);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("session_expired");
    expect(await h.redis.exists(`${h.config.redisPrefix}sess:${hashSessionId(s.sid)}`)).toBe(0);
  });

  it("activity extends the idle TTL: a request every 400 ms keeps a 2 s session alive for 3 s", async () => {
    const h = await statefulTestApp({ SESSION_TTL: "2", SESSION_ABSOLUTE_TTL: "60" });
    const s = await statefulLogin(h.app);
    const started = Date.now();
    while (Date.now() - started < 3000) {
      await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
      await sleep(400);
    }
  });

  it("a request inside the refresh margin writes nothing (one GET, no EXPIRE): the TTL keeps falling", async () => {
    const h = await statefulTestApp({ SESSION_TTL: "100" }); // margin = 10 s
    const s = await statefulLogin(h.app);
    const key = `${h.config.redisPrefix}sess:${hashSessionId(s.sid)}`;
    const before = await h.redis.pTTL(key);
    await sleep(50);
    await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
    expect(await h.redis.pTTL(key)).toBeLessThan(before);
  });

  it("a request inside the refresh margin costs exactly one Redis command, the GET (touch() sends no EXPIRE)", async () => {
    const h = await statefulTestApp({ SESSION_TTL: "100" }); // margin = 10 s
    const s = await statefulLogin(h.app);
    const commands = await redisCommandsDuring(h.config.redisPrefix, async () => {
      await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
    });
    expect(commands).toEqual(["GET"]);
  });

  it("every request reads its session once: past the margin GET then SET (no second GET), after logout GET alone", async () => {
    const h = await statefulTestApp({ SESSION_TTL: "2" }); // margin 200 ms
    const s = await statefulLogin(h.app);
    await sleep(300);
    const refresh = await redisCommandsDuring(h.config.redisPrefix, async () => {
      await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
    });
    expect(refresh).toEqual(["GET", "SET"]);
    await request(h.app).post("/auth/logout").set("Cookie", s.cookie).set("X-CSRF-Token", s.csrfToken).expect(204);
    const gone = await redisCommandsDuring(h.config.redisPrefix, async () => {
      await request(h.app).get("/me").set("Cookie", s.cookie).expect(401);
    });
    expect(gone).toEqual(["GET"]);
  });

  it("past the refresh margin a request pushes the TTL back to SESSION_TTL and updates last seen", async () => {
    const h = await statefulTestApp({ SESSION_TTL: "2" }); // margin 200 ms
    const s = await statefulLogin(h.app);
    const key = `${h.config.redisPrefix}sess:${hashSessionId(s.sid)}`;
    await sleep(600);
    const before = await h.redis.pTTL(key);
    const res = await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
    await sleep(50); // the save runs as the response ends
    expect(await h.redis.pTTL(key)).toBeGreaterThan(before + 300);
    expect(res.headers["set-cookie"]?.[0]).toMatch(/^sl_sid=/);
    const stored = JSON.parse((await h.redis.get(key)) as string);
    expect(stored.refreshedAt).toBeGreaterThan(stored.createdAt);
  });

  it("the user's session index expires, but not before the absolute lifetime: logout-all reaches a session kept alive past SESSION_TTL (S8)", async () => {
    const h = await statefulTestApp({ SESSION_TTL: "2", SESSION_ABSOLUTE_TTL: "60" });
    const a = await statefulLogin(h.app);
    const indexKey = `${h.config.redisPrefix}user-sessions:${a.userId}`;
    const ttl = await h.redis.pTTL(indexKey);
    expect(ttl).toBeGreaterThan(2000); // outlives the idle TTL…
    expect(ttl).toBeLessThanOrEqual(60_000); // …and does not pile up forever
    // Device A stays active well past its 2 s idle TTL; device B logs in only then.
    const started = Date.now();
    while (Date.now() - started < 3200) {
      await request(h.app).get("/me").set("Cookie", a.cookie).expect(200);
      await sleep(500);
    }
    const b = await statefulLogin(h.app, a.credentials);
    await request(h.app).post("/auth/logout-all").set("Cookie", b.cookie).set("X-CSRF-Token", b.csrfToken).expect(204);
    const res = await request(h.app).get("/me").set("Cookie", a.cookie);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("session_expired");
  });

  it("the absolute lifetime ends even an active session (S6)", async () => {
    const h = await statefulTestApp({ SESSION_TTL: "2", SESSION_ABSOLUTE_TTL: "2" });
    const s = await statefulLogin(h.app);
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 5000) {
      const res = await request(h.app).get("/me").set("Cookie", s.cookie);
      status = res.status;
      if (status !== 200) expect(res.body.error.code).toBe("session_expired");
      await sleep(250);
    }
    const lived = Date.now() - started;
    expect(status).toBe(401);
    expect(lived).toBeGreaterThanOrEqual(1500);
    expect(lived).toBeLessThan(3000);
  });
});

describe("hard state (SESSION_STATE=hard)", () => {
  it("the session key has no TTL and the cookie no expiry: it lives until logout", async () => {
    const h = await statefulTestApp({ SESSION_STATE: "hard" });
    const signup = { username: `hard_${Date.now()}`, password: "session-pass-1" };
    await request(h.app).post("/auth/signup").send(signup).expect(201);
    const res = await request(h.app).post("/auth/login").send(signup).expect(200);
    const setCookie = (res.headers["set-cookie"] as unknown as string[]).find((line) =>
      line.startsWith("sl_sid="),
    ) as string;
    expect(setCookie).not.toMatch(/Expires=|Max-Age=/i);
    const s = await statefulLogin(h.app, signup);
    expect(await h.redis.pTTL(`${h.config.redisPrefix}sess:${hashSessionId(s.sid)}`)).toBe(-1);
    expect(await h.redis.pTTL(`${h.config.redisPrefix}user-sessions:${s.userId}`)).toBe(-1);
    const me = await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
    expect(me.body.auth.expiresAt).toBeNull();
    await request(h.app).post("/auth/logout").set("Cookie", s.cookie).set("X-CSRF-Token", s.csrfToken).expect(204);
    expect(await h.redis.exists(`${h.config.redisPrefix}sess:${hashSessionId(s.sid)}`)).toBe(0);
  });
});
