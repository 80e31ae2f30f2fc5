import type { Express } from "express";
import request, { type Test } from "supertest";

/** Where a backend is: a base URL of a running server, or an app to test in process. */
export type Target = string | Express;

export interface Credentials {
  username: string;
  password: string;
}

/** A logged-in user agent that attaches whatever credential its backend uses. */
export interface AuthedAgent {
  readonly user: { id: string; username: string };
  get(path: string): Test;
  post(path: string, body?: object): Test;
  patch(path: string, body: object): Test;
  delete(path: string): Test;
}

/**
 * How the contract suite talks to one kind of backend. The cookie client keeps
 * a cookie jar and sends the CSRF token; the bearer client sends
 * `Authorization: Bearer`. Everything else in the suite is shared.
 */
export interface AuthClient {
  readonly kind: "cookie" | "bearer";
  signup(credentials: Credentials): Test;
  /** The raw login request, for asserting on failures. */
  loginRequest(credentials: Credentials): Test;
  /** Logs in (expects 200) and returns the agent. */
  login(credentials: Credentials): Promise<AuthedAgent>;
}

export type AuthClientFactory = (target: Target) => AuthClient;

/** `request(target)` for both a URL and an app. */
export const http = (target: Target) => request(target as string);

const STATE_CHANGING = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/** Cookie sessions (apps/stateful): a supertest agent's cookie jar plus X-CSRF-Token on writes. */
export const cookieClient: AuthClientFactory = (target) => ({
  kind: "cookie",
  signup: (credentials) => http(target).post("/auth/signup").send(credentials),
  loginRequest: (credentials) => http(target).post("/auth/login").send(credentials),
  async login(credentials) {
    const agent = request.agent(target as string);
    const res = await agent.post("/auth/login").send(credentials);
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    const csrfToken = String(res.body.csrfToken);
    const withCsrf = (method: string, test: Test) =>
      STATE_CHANGING.has(method) ? test.set("X-CSRF-Token", csrfToken) : test;
    return {
      user: res.body.user,
      get: (path) => agent.get(path),
      post: (path, body) => withCsrf("POST", agent.post(path)).send(body ?? {}),
      patch: (path, body) => withCsrf("PATCH", agent.patch(path)).send(body),
      delete: (path) => withCsrf("DELETE", agent.delete(path)),
    };
  },
});
