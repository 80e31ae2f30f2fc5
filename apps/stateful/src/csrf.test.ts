import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { statefulTestApp } from "../../../tests/support/stateful.js";
import { statefulLogin } from "../../../tests/support/stateful-client.js";

let h: Awaited<ReturnType<typeof statefulTestApp>>;
beforeAll(async () => {
  h = await statefulTestApp({ ALLOWED_ORIGINS: "https://app.example" });
});

const patch = (cookie: string) => request(h.app).patch("/me").set("Cookie", cookie);

describe("CSRF (S9)", () => {
  it("a write without X-CSRF-Token → 403 csrf_failed", async () => {
    const s = await statefulLogin(h.app);
    const res = await patch(s.cookie).send({ displayName: "x" });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("csrf_failed");
  });

  it("another session's token → 403", async () => {
    const [a, b] = [await statefulLogin(h.app), await statefulLogin(h.app)];
    const res = await patch(a.cookie).set("X-CSRF-Token", b.csrfToken).send({ displayName: "x" });
    expect(res.status).toBe(403);
  });

  it("a foreign Origin → 403 even with the right token; the server's own and allowed origins pass", async () => {
    const s = await statefulLogin(h.app);
    const foreign = await patch(s.cookie)
      .set("X-CSRF-Token", s.csrfToken)
      .set("Origin", "https://evil.example")
      .send({ displayName: "x" });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe("csrf_failed");
    const nullOrigin = await patch(s.cookie)
      .set("X-CSRF-Token", s.csrfToken)
      .set("Origin", "null")
      .send({ displayName: "x" });
    expect(nullOrigin.status).toBe(403);
    await patch(s.cookie)
      .set("X-CSRF-Token", s.csrfToken)
      .set("Origin", "https://app.example")
      .send({ displayName: "y" })
      .expect(200);
  });

  it("Sec-Fetch-Site: cross-site → 403", async () => {
    const s = await statefulLogin(h.app);
    const res = await patch(s.cookie)
      .set("X-CSRF-Token", s.csrfToken)
      .set("Sec-Fetch-Site", "cross-site")
      .send({ displayName: "x" });
    expect(res.status).toBe(403);
  });

  it("a cross-site login (login CSRF) → 403; logout needs the token too", async () => {
    const s = await statefulLogin(h.app);
    const login = await request(h.app).post("/auth/login").set("Origin", "https://evil.example").send(s.credentials);
    expect(login.status).toBe(403);
    await request(h.app).post("/auth/logout").set("Cookie", s.cookie).expect(403);
    await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
  });

  it("GET needs no token and changes nothing", async () => {
    const s = await statefulLogin(h.app);
    await request(h.app).get("/me").set("Cookie", s.cookie).expect(200);
    await request(h.app).get("/auth/sessions").set("Cookie", s.cookie).expect(200);
  });
});
