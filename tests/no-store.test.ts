import request from "supertest";
import { describe, expect, it } from "vitest";
import { statefulTestApp } from "./support/stateful.js";
import { statefulLogin } from "./support/stateful-client.js";
import { statelessTestApp } from "./support/stateless.js";
import { bearer, statelessLogin } from "./support/stateless-client.js";

const noStore = (res: request.Response, what: string) => expect(res.headers["cache-control"], what).toBe("no-store");

// Every answer that carries a credential or a user's data must not be kept by a browser or
// shared cache (H5): a proxy or a shared computer would hand out the session or the tokens.
describe("Cache-Control: no-store on answers with credentials or user data (H5)", () => {
  it("stateful: signup, login (Set-Cookie), /me, PATCH /me, the device list, chat partners, and a 401", async () => {
    const { app } = await statefulTestApp();
    const s = await statefulLogin(app);
    const login = await request(app).post("/auth/login").send(s.credentials).expect(200);
    noStore(login, "login");
    const auth = { Cookie: s.cookie, "X-CSRF-Token": s.csrfToken };
    noStore(await request(app).get("/me").set(auth).expect(200), "GET /me");
    noStore(await request(app).patch("/me").set(auth).send({ displayName: "Ada" }).expect(200), "PATCH /me");
    noStore(await request(app).get("/auth/sessions").set(auth).expect(200), "GET /auth/sessions");
    noStore(await request(app).get("/chat/partners").set(auth).expect(200), "GET /chat/partners");
    noStore(await request(app).get("/me").expect(401), "401");
    noStore(
      await request(app)
        .post("/auth/signup")
        .send({ username: `${s.credentials.username}x`, password: "p-123456789" }),
      "signup",
    );
  });

  it("stateless: login and refresh (tokens), /me, the device list; the JWKS alone may be cached", async () => {
    const { app } = await statelessTestApp();
    const t = await statelessLogin(app);
    noStore(await request(app).post("/auth/login").send(t.credentials).expect(200), "login");
    const refreshed = await request(app).post("/auth/refresh").send({ refreshToken: t.refreshToken }).expect(200);
    noStore(refreshed, "refresh");
    noStore(await request(app).get("/me").set(bearer(t.accessToken)).expect(200), "GET /me");
    noStore(await request(app).get("/auth/sessions").set(bearer(t.accessToken)).expect(200), "GET /auth/sessions");
    noStore(
      await request(app)
        .post("/auth/login")
        .send({ ...t.credentials, password: "wrong-pass-1" }),
      "401",
    );
    const jwks = await request(app).get("/.well-known/jwks.json").expect(200);
    expect(jwks.headers["cache-control"]).toBe("public, max-age=300");
  });
});
