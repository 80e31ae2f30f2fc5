import type { Test } from "supertest";
import { type AuthClientFactory, http } from "./client.js";

/** Bearer tokens (apps/stateless): `Authorization: Bearer <accessToken>` on every request. */
export const bearerClient: AuthClientFactory = (target) => ({
  kind: "bearer",
  signup: (credentials) => http(target).post("/auth/signup").send(credentials),
  loginRequest: (credentials) => http(target).post("/auth/login").send(credentials),
  async login(credentials) {
    const res = await http(target).post("/auth/login").send(credentials);
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    const bearer = (test: Test) => test.set("Authorization", `Bearer ${res.body.accessToken}`);
    return {
      user: res.body.user,
      get: (path) => bearer(http(target).get(path)),
      post: (path, body) => bearer(http(target).post(path)).send(body ?? {}),
      patch: (path, body) => bearer(http(target).patch(path)).send(body),
      delete: (path) => bearer(http(target).delete(path)),
    };
  },
});
