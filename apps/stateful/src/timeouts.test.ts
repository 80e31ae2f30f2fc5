import request from "supertest";
import { describe, expect, it } from "vitest";
import { statefulTestApp } from "../../../tests/support/stateful.js";
import { sleep, statefulLogin } from "../../../tests/support/stateful-client.js";
import { hashSessionId } from "./session-store.js";

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

  it("activity extends the idle TTL: a request every 400 ms keeps a 1.5 s session alive for 3 s", async () => {
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
    const setCookie = (res.headers["set-cookie"] as unknown as string[])[0] as string;
    expect(setCookie).not.toMatch(/Expires=|Max-Age=/i);
    const s = await statefulLogin(h.app, signup);
    expect(await h.redis.pTTL(`${h.config.redisPrefix}sess:${hashSessionId(s.sid)}`)).toBe(-1);
    const me = await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
    expect(me.body.auth.expiresAt).toBeNull();
    await request(h.app).post("/auth/logout").set("Cookie", s.cookie).set("X-CSRF-Token", s.csrfToken).expect(204);
    expect(await h.redis.exists(`${h.config.redisPrefix}sess:${hashSessionId(s.sid)}`)).toBe(0);
  });
});
