import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { listenProxy } from "@statelab/proxy";
import { SECURE_SESSION_COOKIE, SESSION_COOKIE } from "@statelab/stateful";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { cookiePair, sessionIdOf, setCookieFor } from "../../../tests/support/cookies.js";
import { uniqueName } from "../../../tests/support/index.js";
import { statefulTestApp } from "../../../tests/support/stateful.js";
import { statefulLogin } from "../../../tests/support/stateful-client.js";
import { hashSessionId } from "./session-store.js";

type Harness = Awaited<ReturnType<typeof statefulTestApp>>;
let h: Harness;
beforeAll(async () => {
  h = await statefulTestApp();
});

async function newUser(harness = h) {
  const credentials = { username: uniqueName("s"), password: "session-pass-1" };
  await request(harness.app).post("/auth/signup").send(credentials).expect(201);
  return credentials;
}

async function login(credentials: { username: string; password: string }, harness = h, cookie?: string) {
  const req = request(harness.app).post("/auth/login");
  if (cookie) req.set("Cookie", cookie);
  const res = await req.send(credentials).expect(200);
  const setCookie = setCookieFor(res.headers, SESSION_COOKIE);
  if (!setCookie) throw new Error("login set no session cookie");
  return {
    setCookie,
    cookie: cookiePair(setCookie),
    sid: sessionIdOf(setCookie),
    csrfToken: res.body.csrfToken as string,
  };
}

const sessionKey = (sid: string, harness = h) => `${harness.config.redisPrefix}sess:${hashSessionId(sid)}`;

describe("the session cookie (S2)", () => {
  it("is HttpOnly, SameSite=Lax, Path=/, host-only, with Max-Age equal to the Redis TTL", async () => {
    const { setCookie, sid } = await login(await newUser());
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Lax/i);
    expect(setCookie).toMatch(/; Path=\//i);
    expect(setCookie).not.toMatch(/Domain=/i);
    expect(setCookie).not.toMatch(/; Secure/i);
    const expires = Date.parse(/Expires=([^;]+)/i.exec(setCookie)?.[1] ?? "");
    const cookieTtl = expires - Date.now();
    const redisTtl = await h.redis.pTTL(sessionKey(sid));
    expect(Math.abs(cookieTtl - h.config.sessionTtlSeconds * 1000)).toBeLessThan(2000);
    expect(Math.abs(redisTtl - h.config.sessionTtlSeconds * 1000)).toBeLessThan(2000);
  });

  it("with COOKIE_SECURE=true is __Host-sl_sid: Secure, Path=/, no Domain (what the prefix demands)", async () => {
    const secure = await statefulTestApp({ COOKIE_SECURE: "true", TRUST_PROXY: "127.0.0.1" });
    const credentials = await newUser(secure);
    const res = await request(secure.app)
      .post("/auth/login")
      .set("X-Forwarded-Proto", "https")
      .send(credentials)
      .expect(200);
    expect(setCookieFor(res.headers, SESSION_COOKIE)).toBeUndefined();
    const setCookie = setCookieFor(res.headers, SECURE_SESSION_COOKIE) as string;
    expect(setCookie).toMatch(/; Secure/i);
    expect(setCookie).toMatch(/; Path=\/(;|$)/i);
    expect(setCookie).not.toMatch(/Domain=/i);
    expect(setCookie).toMatch(/; HttpOnly/i);
  });

  it("through the built-in proxy (trusted X-Forwarded-Proto: https) the cookie is __Host-sl_sid and Secure, and only that name authenticates", async () => {
    const secure = await statefulTestApp({ COOKIE_SECURE: "true", TRUST_PROXY: "127.0.0.1" });
    const server = secure.app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const proxy = await listenProxy({
      backends: [{ id: "sf", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }],
      trustForwarded: true,
      healthIntervalMs: 60_000,
    });
    try {
      const credentials = { username: uniqueName("s"), password: "session-pass-1" };
      await request(proxy.url).post("/auth/signup").set("X-Forwarded-Proto", "https").send(credentials).expect(201);
      const res = await request(proxy.url)
        .post("/auth/login")
        .set("X-Forwarded-Proto", "https")
        .send(credentials)
        .expect(200);
      const setCookie = setCookieFor(res.headers, SECURE_SESSION_COOKIE);
      expect(setCookie).toMatch(/; Secure/i);
      expect(setCookie).toMatch(/; Path=\/(;|$)/i);
      expect(setCookie).not.toMatch(/Domain=/i);
      const cookie = cookiePair(setCookie as string);
      const me = await request(proxy.url).get("/me").set("X-Forwarded-Proto", "https").set("Cookie", cookie);
      expect(me.status).toBe(200);
      // The same value under the unprefixed name (as a sibling subdomain could plant it) is not read.
      const unprefixed = cookie.replace(`${SECURE_SESSION_COOKIE}=`, `${SESSION_COOKIE}=`);
      const planted = await request(proxy.url).get("/me").set("X-Forwarded-Proto", "https").set("Cookie", unprefixed);
      expect(planted.status).toBe(401);
    } finally {
      await proxy.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("session ids (S1, S3, S11)", () => {
  it("50 logins → 50 distinct ids of at least 128 bits", async () => {
    const credentials = await newUser();
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add((await login(credentials)).sid);
    expect(ids.size).toBe(50);
    for (const id of ids) expect(Buffer.from(id, "base64url").length).toBeGreaterThanOrEqual(16);
  });

  it("a planted cookie is never adopted: login issues a new id and stores nothing under the planted one", async () => {
    const credentials = await newUser();
    const planted = `${SESSION_COOKIE}=s%3Aattacker-chosen-id.invalidsig`;
    const { sid } = await login(credentials, h, planted);
    expect(sid).not.toBe("attacker-chosen-id");
    expect(await h.redis.exists(sessionKey("attacker-chosen-id"))).toBe(0);
  });

  it("logging in again regenerates the id and destroys the old session", async () => {
    const credentials = await newUser();
    const first = await login(credentials);
    const second = await login(credentials, h, first.cookie);
    expect(second.sid).not.toBe(first.sid);
    expect(await h.redis.exists(sessionKey(first.sid))).toBe(0);
    expect(await h.redis.exists(sessionKey(second.sid))).toBe(1);
    expect((await request(h.app).get("/me").set("Cookie", first.cookie)).status).toBe(401);
  });

  it("Redis holds no session id in any key or value, and a handle is useless as a cookie", async () => {
    const credentials = await newUser();
    const sessions = [await login(credentials), await login(credentials)];
    const keys = await h.redis.keys(`${h.config.redisPrefix}*`);
    const dump = [
      ...keys,
      ...(await Promise.all(
        keys.map((k) =>
          h.redis.type(k).then((t) => (t === "hash" ? h.redis.hGetAll(k).then(JSON.stringify) : h.redis.get(k))),
        ),
      )),
    ].join("\n");
    for (const { sid } of sessions) expect(dump).not.toContain(sid);
    const list = await request(h.app)
      .get("/auth/sessions")
      .set("Cookie", sessions[0]?.cookie as string)
      .expect(200);
    const handle = list.body.sessions[0].handle as string;
    const res = await request(h.app).get("/me").set("Cookie", `${SESSION_COOKIE}=${handle}`);
    expect(res.status).toBe(401);
  });
});

describe("rejected cookies", () => {
  it.each([
    ["unsigned", () => `${SESSION_COOKIE}=plain-id`, "unauthenticated"],
    [
      "signed with another secret",
      () => `${SESSION_COOKIE}=s%3Aabc.dGhpcyBpcyBub3QgYSBzaWduYXR1cmU`,
      "unauthenticated",
    ],
  ])("a %s cookie → 401 %s", async (_what, cookie, code) => {
    const res = await request(h.app).get("/me").set("Cookie", cookie());
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(code);
  });

  it("a tampered cookie (one character of the id changed) → 401 unauthenticated", async () => {
    const { cookie } = await login(await newUser());
    const tampered = cookie.replace(/%3A(.)/, (_m, c: string) => `%3A${c === "a" ? "b" : "a"}`);
    const res = await request(h.app).get("/me").set("Cookie", tampered);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthenticated");
  });

  it("a real cookie after logout (S7) → 401 session_expired, and the key is gone", async () => {
    const session = await login(await newUser());
    await request(h.app)
      .post("/auth/logout")
      .set("Cookie", session.cookie)
      .set("X-CSRF-Token", session.csrfToken)
      .expect(204);
    expect(await h.redis.exists(sessionKey(session.sid))).toBe(0);
    const res = await request(h.app).get("/me").set("Cookie", session.cookie);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("session_expired");
  });

  it("?sid= in the URL is ignored (S10)", async () => {
    const { sid } = await login(await newUser());
    expect((await request(h.app).get(`/me?sid=${sid}`)).status).toBe(401);
  });
});

describe("logout-all and devices (S8, S12)", () => {
  it("logout-all removes every session key and the user's index", async () => {
    const credentials = await newUser();
    const sessions = [await login(credentials), await login(credentials), await login(credentials)];
    const first = sessions[0] as (typeof sessions)[0];
    const me = await request(h.app).get("/me").set("Cookie", first.cookie).expect(200);
    await request(h.app)
      .post("/auth/logout-all")
      .set("Cookie", first.cookie)
      .set("X-CSRF-Token", first.csrfToken)
      .expect(204);
    for (const { sid } of sessions) expect(await h.redis.exists(sessionKey(sid))).toBe(0);
    expect(await h.redis.exists(`${h.config.redisPrefix}user-sessions:${me.body.user.id}`)).toBe(0);
  });
});

describe("login that cannot index its session", () => {
  it("the index write failing → 503, no cookie, and the saved session is deleted again (no session logout-all cannot reach)", async () => {
    // Hard state: an orphan would never expire. The index key held as a string makes only its HSET fail (WRONGTYPE).
    const hard = await statefulTestApp({ SESSION_STATE: "hard" });
    const { credentials, userId } = await statefulLogin(hard.app);
    const indexKey = `${hard.config.redisPrefix}user-sessions:${userId}`;
    const sessionsBefore = await hard.redis.keys(`${hard.config.redisPrefix}sess:*`);
    await hard.redis.del(indexKey);
    await hard.redis.set(indexKey, "not a hash");

    const res = await request(hard.app).post("/auth/login").send(credentials);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("store_unavailable");
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect((await hard.redis.keys(`${hard.config.redisPrefix}sess:*`)).sort()).toEqual(sessionsBefore.sort());

    await hard.redis.del(indexKey);
    await login(credentials, hard);
  });
});

describe("refresh", () => {
  it("POST /auth/refresh → 404 not_supported (cookie sessions have no refresh token)", async () => {
    const res = await request(h.app).post("/auth/refresh").send({});
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_supported");
  });
});

describe("login rate limit", () => {
  it("past LOGIN_MAX_FAILURES failures → 429 with Retry-After, even with the right password", async () => {
    const limited = await statefulTestApp({ LOGIN_MAX_FAILURES: "3" });
    const credentials = await newUser(limited);
    for (let i = 0; i < 3; i++) {
      await request(limited.app)
        .post("/auth/login")
        .send({ ...credentials, password: "wrong-pass-1" })
        .expect(401);
    }
    const res = await request(limited.app).post("/auth/login").send(credentials);
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe("rate_limited");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  });
});
