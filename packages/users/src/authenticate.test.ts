import { createHttpApp, parseBody } from "@statelab/http";
import { Router } from "express";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { silentLogger, testRedis, testUserStore, uniqueName, uniquePrefix } from "../../../tests/support/index.js";
import { type Authenticate, createAuthenticator } from "./authenticate.js";
import { credentialsSchema, loginSchema } from "./credentials-schema.js";
import { createLoginThrottle } from "./login-throttle.js";
import type { UserStore } from "./user-store.js";

// A minimal login endpoint on the shared kit: the backends' login routes do the
// same, then issue a session or a token.
function loginApp(users: UserStore, authenticate: Authenticate) {
  const routes = Router();
  routes.post("/auth/signup", async (req, res) => {
    const user = await users.create(parseBody(credentialsSchema, req));
    res.status(201).json({ user: { id: user.id, username: user.username } });
  });
  routes.post("/auth/login", async (req, res) => {
    const { username, password } = parseBody(loginSchema, req);
    const user = await authenticate({ username, password, ip: req.ip ?? "unknown" });
    res.json({ user: { id: user.id, username: user.username } });
  });
  return createHttpApp({ instanceId: "t1", logger: silentLogger, readiness: {}, logRequests: false }, routes);
}

let app: ReturnType<typeof loginApp>;
beforeAll(async () => {
  const { users } = await testUserStore();
  const throttle = createLoginThrottle({ redis: await testRedis(), keyPrefix: uniquePrefix("login") });
  app = loginApp(users, createAuthenticator({ users, throttle }));
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
