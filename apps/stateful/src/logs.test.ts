import request from "supertest";
import { afterAll, describe, expect, inject, it } from "vitest";
import { setCookieFor } from "../../../tests/support/cookies.js";
import { uniqueName, uniquePrefix } from "../../../tests/support/index.js";
import { type RunningInstance, startInstance } from "../../../tests/support/processes.js";
import { TEST_SECRET } from "../../../tests/support/stateful.js";
import { sleep } from "../../../tests/support/stateful-client.js";
import { SESSION_COOKIE } from "./auth.js";

// A real process on a port of this file's own (4714x), logging everything it would in production and more.
let instance: RunningInstance | undefined;
afterAll(async () => {
  await instance?.stop();
});

describe("logs (S10)", () => {
  it("at LOG_LEVEL=debug with request logs, a session's life leaks no session id, CSRF token or password", async () => {
    instance = await startInstance("stateful", {
      PORT: "27141",
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: uniquePrefix("logs"),
      SESSION_SECRET: TEST_SECRET,
      LOG_LEVEL: "debug",
      LOG_REQUESTS: "true",
    });
    const { url } = instance;
    const credentials = { username: uniqueName("log"), password: `pw-${uniqueName("secret")}` };
    await request(url).post("/auth/signup").send(credentials).expect(201);
    await request(url)
      .post("/auth/login")
      .send({ ...credentials, password: `${credentials.password}-wrong` })
      .expect(401);
    const login = await request(url).post("/auth/login").send(credentials).expect(200);
    const cookie = (setCookieFor(login.headers, SESSION_COOKIE) as string).split(";")[0] as string;
    const raw = cookie.slice(cookie.indexOf("=") + 1); // s%3A<id>.<signature>
    const decoded = decodeURIComponent(raw); // s:<id>.<signature>
    const sid = decoded.slice(2, decoded.lastIndexOf("."));
    const csrfToken = login.body.csrfToken as string;

    await request(url).get("/me").set("Cookie", cookie).expect(200);
    // Credentials in a URL are ignored, and must not reach the log through the request line either.
    await request(url)
      .get(`/me?sid=${encodeURIComponent(raw)}&csrf=${csrfToken}`)
      .expect(401);
    await request(url).post("/auth/logout").set("Cookie", cookie).set("X-CSRF-Token", csrfToken).expect(204);
    await sleep(200);
    await instance.stop();

    const output = instance.output();
    // The log is there (one line per request), so its silence about secrets means something.
    expect(output).toContain('"path":"/auth/login"');
    expect(output).toContain('"path":"/auth/logout"');
    for (const secret of [raw, decoded, sid, csrfToken, credentials.password]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(output).not.toContain(secret);
    }
  }, 60_000);
});
