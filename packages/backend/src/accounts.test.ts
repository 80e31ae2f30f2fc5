import { createHttpApp, parseBody } from "@statelab/http";
import {
  createPasswordHasher,
  credentialsSchema,
  DEFAULT_LOGIN_LIMITS,
  DEFAULT_SIGNUP_LIMITS,
  loginSchema,
  OWASP_PARAMS,
  type PasswordHasher,
  presentedDevice,
  sendDeviceCookie,
} from "@statelab/users";
import { Router } from "express";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import {
  silentLogger,
  TEST_DEVICE_SECRET,
  testAccounts,
  testHasher,
  testPool,
  testRedis,
  uniqueName,
  uniquePrefix,
} from "../../../tests/support/index.js";
import { type Accounts, createAccounts } from "./accounts.js";

// A minimal login endpoint on the shared kit: the backends' login routes do the
// same, then issue a session or a token.
function loginApp({ signup, authenticate }: Pick<Accounts, "signup" | "authenticate">) {
  const routes = Router();
  routes.post("/auth/signup", async (req, res) => {
    const user = await signup(parseBody(credentialsSchema, req), req.ip ?? "unknown");
    res.status(201).json({ user: { id: user.id, username: user.username } });
  });
  routes.post("/auth/login", async (req, res) => {
    const { username, password } = parseBody(loginSchema, req);
    const { user, device } = await authenticate({
      username,
      password,
      ip: req.ip ?? "unknown",
      device: presentedDevice(req),
    });
    sendDeviceCookie(req, res, device);
    res.json({ user: { id: user.id, username: user.username } });
  });
  return createHttpApp({ instanceId: "t1", logger: silentLogger, readiness: {}, logRequests: false }, routes);
}

const limits = {
  loginLimits: DEFAULT_LOGIN_LIMITS,
  // A suite signs up many users from one address.
  signupLimits: { ...DEFAULT_SIGNUP_LIMITS, maxPerIp: 100_000, maxGlobal: 100_000 },
  hashQueue: { concurrency: 2, maxQueued: 1000, maxPerClient: 1000, maxWaitMs: 10_000 },
};

let app: ReturnType<typeof loginApp>;
beforeAll(async () => {
  app = loginApp(
    await testAccounts(await testPool(), await testRedis(), { redisPrefix: uniquePrefix("login"), ...limits }),
  );
});

async function signup() {
  const username = uniqueName();
  const password = "correct-horse-1";
  await request(app).post("/auth/signup").send({ username, password }).expect(201);
  return { username, password };
}

describe("login responses", () => {
  it("unknown user and wrong password get identical status, body and headers (A3)", async () => {
    const { username } = await signup();
    const wrong = await request(app).post("/auth/login").send({ username, password: "wrong-password" });
    const unknown = await request(app).post("/auth/login").send({ username: uniqueName(), password: "wrong-password" });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: "invalid_credentials", message: "invalid username or password" } });
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
    const comparable = (headers: Record<string, string>) => {
      const { date: _date, "x-request-id": _id, ...rest } = headers;
      return rest;
    };
    expect(comparable(unknown.headers)).toEqual(comparable(wrong.headers));
  });

  it("the right password → 200 with the user, by another case of the name", async () => {
    const { username, password } = await signup();
    const res = await request(app).post("/auth/login").send({ username: username.toUpperCase(), password }).expect(200);
    expect(res.body.user.username).toBe(username);
  });

  it("a 1 MB password → 413 before any hashing; a 600-byte one → 400 (A2)", async () => {
    await request(app)
      .post("/auth/login")
      .send({ username: "x", password: "p".repeat(1_000_000) })
      .expect(413);
    const res = await request(app)
      .post("/auth/login")
      .send({ username: "x", password: "p".repeat(600) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("the 11th failure → 429 with Retry-After; a spoofed X-Forwarded-For does not reset the key (A5)", async () => {
    const { username, password } = await signup();
    for (let i = 0; i < 10; i++) {
      await request(app)
        .post("/auth/login")
        .set("X-Forwarded-For", `203.0.113.${i}`)
        .send({ username, password: "wrong-password" })
        .expect(401);
    }
    const blocked = await request(app)
      .post("/auth/login")
      .set("X-Forwarded-For", "198.51.100.7")
      .send({ username, password });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe("rate_limited");
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("signup with a taken name → 409 username_taken; with a bad password → 400", async () => {
    const { username } = await signup();
    const taken = await request(app).post("/auth/signup").send({ username, password: "another-pass" });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("username_taken");
    const short = await request(app).post("/auth/signup").send({ username: uniqueName(), password: "short" });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe("invalid_request");
  });
});

/** An app of the same shape with limits of the test's own (fresh counters). */
async function appWith(overrides: {
  loginLimits?: Partial<typeof DEFAULT_LOGIN_LIMITS>;
  signupLimits?: Partial<typeof DEFAULT_SIGNUP_LIMITS>;
  hashQueue?: Partial<typeof limits.hashQueue>;
  hasher?: PasswordHasher;
}) {
  const pool = await testPool();
  const accounts = createAccounts({
    pool,
    redis: await testRedis(),
    hasher: overrides.hasher ?? (await testHasher()),
    keyPrefix: uniquePrefix("login"),
    deviceSecret: TEST_DEVICE_SECRET,
    loginLimits: { ...limits.loginLimits, ...overrides.loginLimits },
    signupLimits: { ...limits.signupLimits, ...overrides.signupLimits },
    hashQueue: { ...limits.hashQueue, ...overrides.hashQueue },
  });
  return { app: loginApp(accounts), accounts };
}

const deviceCookieOf = (res: request.Response) =>
  ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((line) => line.startsWith("sl_device="));

describe("device cookies at login", () => {
  it("a login that succeeds sets sl_device (HttpOnly, SameSite=Strict, Path=/auth); a failed one sets nothing (A3)", async () => {
    const { username, password } = await signup();
    const ok = await request(app).post("/auth/login").send({ username, password }).expect(200);
    expect(deviceCookieOf(ok)).toMatch(
      /^sl_device=[^;]+; Max-Age=15552000; Path=\/auth; Expires=[^;]+; HttpOnly; SameSite=Strict$/,
    );
    const wrong = await request(app).post("/auth/login").send({ username, password: "wrong-password" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
  });

  it("the owner's device still logs in while wrong guesses lock everyone else out of the account", async () => {
    const { app: locked } = await appWith({ loginLimits: { maxFailuresPerAccount: 3 } });
    const username = uniqueName();
    const password = "correct-horse-1";
    await request(locked).post("/auth/signup").send({ username, password }).expect(201);
    const device = deviceCookieOf(await request(locked).post("/auth/login").send({ username, password }).expect(200));
    const cookie = (device as string).split(";")[0] as string;
    for (let i = 0; i < 3; i++)
      await request(locked).post("/auth/login").send({ username, password: "guess-number-x" }).expect(401);
    // Locked: even the right password, from a client without the device cookie.
    const refused = await request(locked).post("/auth/login").send({ username, password });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("rate_limited");
    // The owner's device is counted apart and gets in.
    await request(locked).post("/auth/login").set("Cookie", cookie).send({ username, password }).expect(200);
    // A device cookie of another account is no help.
    const other = uniqueName();
    await request(locked).post("/auth/signup").send({ username: other, password }).expect(201);
    const otherCookie = (
      deviceCookieOf(
        await request(locked).post("/auth/login").send({ username: other, password }).expect(200),
      ) as string
    ).split(";")[0] as string;
    expect(
      (await request(locked).post("/auth/login").set("Cookie", otherCookie).send({ username, password })).status,
    ).toBe(429);
  });
});

describe("signup limits and the hash queue (A8)", () => {
  it("per address: the 4th signup in the window → 429 rate_limited with Retry-After", async () => {
    const { app: limited } = await appWith({ signupLimits: { maxPerIp: 3 } });
    for (let i = 0; i < 3; i++)
      await request(limited)
        .post("/auth/signup")
        .send({ username: uniqueName(), password: "correct-horse-1" })
        .expect(201);
    const res = await request(limited)
      .post("/auth/signup")
      .send({ username: uniqueName(), password: "correct-horse-1" });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe("rate_limited");
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(800);
  });

  it("globally: past maxGlobal every address is refused", async () => {
    const { accounts } = await appWith({ signupLimits: { maxGlobal: 2 } });
    const make = (ip: string) => accounts.signup({ username: uniqueName(), password: "correct-horse-1" }, ip);
    await make("192.0.2.1");
    await make("192.0.2.2");
    await expect(make("192.0.2.3")).rejects.toMatchObject({ status: 429, code: "rate_limited" });
  });

  it("a taken name → 409 before any hash is computed", async () => {
    const { username } = await signup();
    const { accounts } = await appWith({});
    let hashes = 0;
    const counting = <T>(work: () => Promise<T>) => {
      hashes++;
      return work();
    };
    await expect(accounts.users.create({ username, password: "another-pass-1" }, counting)).rejects.toMatchObject({
      status: 409,
      code: "username_taken",
    });
    expect(hashes).toBe(0);
    await accounts.users.create({ username: uniqueName(), password: "another-pass-1" }, counting);
    expect(hashes).toBe(1);
  });

  it("a burst past the queue answers 503 server_busy at once, with real argon2 (OWASP cost)", async () => {
    const { app: small } = await appWith({
      hasher: await createPasswordHasher(OWASP_PARAMS),
      hashQueue: { concurrency: 1, maxQueued: 2 },
    });
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        request(small).post("/auth/login").send({ username: uniqueName(), password: "wrong-password" }),
      ),
    );
    const busy = answers.filter((res) => res.status === 503);
    expect(answers.filter((res) => res.status === 401).length).toBeGreaterThanOrEqual(3);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const res of busy) {
      expect(res.body.error.code).toBe("server_busy");
      expect(res.headers["retry-after"]).toBe("1");
    }
    // Refusals do not wait for the hashes ahead of them: well under 12 sequential argon2 runs.
    expect(Date.now() - started).toBeLessThan(12 * 1000);
  });
});
