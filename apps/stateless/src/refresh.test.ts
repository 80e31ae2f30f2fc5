import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { statelessTestApp } from "../../../tests/support/stateless.js";
import { bearer, statelessLogin } from "../../../tests/support/stateless-client.js";

let h: Awaited<ReturnType<typeof statelessTestApp>>;
beforeAll(async () => {
  h = await statelessTestApp();
});

const refresh = (refreshToken: string, harness = h) =>
  request(harness.app).post("/auth/refresh").send({ refreshToken });

describe("refresh rotation (J7)", () => {
  it("a refresh returns a new pair; the new access token works", async () => {
    const s = await statelessLogin(h.app);
    const res = await refresh(s.refreshToken).expect(200);
    expect(res.body).toMatchObject({ tokenType: "Bearer", expiresIn: h.config.accessTtlSeconds });
    expect(res.body.refreshToken).not.toBe(s.refreshToken);
    expect(res.body.accessToken).not.toBe(s.accessToken);
    await request(h.app).get("/me").set(bearer(res.body.accessToken)).expect(200);
  });

  it("reusing a spent refresh token → 401 refresh_reused, and the whole family dies (newer refresh and access tokens too)", async () => {
    const s = await statelessLogin(h.app);
    const next = (await refresh(s.refreshToken).expect(200)).body;
    const reuse = await refresh(s.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe("refresh_reused");
    expect((await refresh(next.refreshToken)).status).toBe(401);
    expect((await request(h.app).get("/me").set(bearer(next.accessToken))).status).toBe(401);
    expect((await request(h.app).get("/me").set(bearer(s.accessToken))).status).toBe(401);
  });

  it("two concurrent refreshes with one token → exactly one 200", async () => {
    const s = await statelessLogin(h.app);
    const results = await Promise.all([refresh(s.refreshToken), refresh(s.refreshToken), refresh(s.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });

  it("an unknown, malformed or missing refresh token → 401 token_invalid / 400", async () => {
    const unknown = await refresh("A".repeat(43));
    expect({ status: unknown.status, code: unknown.body.error.code }).toEqual({ status: 401, code: "token_invalid" });
    expect((await refresh("not a token")).status).toBe(401);
    expect((await request(h.app).post("/auth/refresh").send({})).status).toBe(400);
  });

  it("a refresh token past its lifetime → 401 token_expired", async () => {
    const short = await statelessTestApp({ REFRESH_TTL: "1" });
    const s = await statelessLogin(short.app);
    await new Promise((r) => setTimeout(r, 1200));
    const res = await refresh(s.refreshToken, short);
    expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 401, code: "token_expired" });
  });

  it("the absolute lifetime ends a family however often it is refreshed", async () => {
    const short = await statelessTestApp({ REFRESH_ABSOLUTE_TTL: "2" });
    const s = await statelessLogin(short.app);
    let token = s.refreshToken;
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 5000) {
      const res = await refresh(token, short);
      status = res.status;
      if (status === 200) token = res.body.refreshToken;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(status).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });

  it("refresh tokens are stored only as hashes", async () => {
    const s = await statelessLogin(h.app);
    const { rows } = await h.pool.query("SELECT encode(token_hash, 'hex') AS h FROM refresh_tokens");
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(s.refreshToken);
    expect(dump).not.toContain(Buffer.from(s.refreshToken, "base64url").toString("hex"));
  });
});

describe("devices (refresh families)", () => {
  it("logout ends that device's refresh token; other devices live", async () => {
    const a = await statelessLogin(h.app);
    const b = await statelessLogin(h.app, a.credentials);
    await request(h.app).post("/auth/logout").set(bearer(a.accessToken)).expect(204);
    expect((await refresh(a.refreshToken)).status).toBe(401);
    await refresh(b.refreshToken).expect(200);
  });

  it("logout-all ends every device's refresh token", async () => {
    const a = await statelessLogin(h.app);
    const b = await statelessLogin(h.app, a.credentials);
    await request(h.app).post("/auth/logout-all").set(bearer(a.accessToken)).expect(204);
    expect((await refresh(a.refreshToken)).status).toBe(401);
    expect((await refresh(b.refreshToken)).status).toBe(401);
  });
});
