import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { statelessTestApp } from "../../../tests/support/stateless.js";
import { bearer, statelessLogin } from "../../../tests/support/stateless-client.js";
import { loadStatelessConfig } from "./config.js";

let h: Awaited<ReturnType<typeof statelessTestApp>>;
beforeAll(async () => {
  h = await statelessTestApp();
});

const refresh = (refreshToken: string, harness = h) =>
  request(harness.app).post("/auth/refresh").send({ refreshToken });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The refresh family (device) an access token belongs to. */
const fidOf = (accessToken: string): string =>
  JSON.parse(Buffer.from(accessToken.split(".")[1] as string, "base64url").toString()).fid;
const familyState = async (familyId: string) => {
  const { rows } = await h.pool.query<{ revoked: boolean; reason: string | null }>(
    "SELECT revoked_at IS NOT NULL AS revoked, revoked_reason AS reason FROM refresh_families WHERE id = $1",
    [familyId],
  );
  return rows[0];
};
const tokensIn = async (familyId: string) =>
  Number((await h.pool.query("SELECT count(*) AS n FROM refresh_tokens WHERE family_id = $1", [familyId])).rows[0].n);

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

  it("without REFRESH_GRACE (the default), two concurrent refreshes with one token → exactly one 200, the others 401 refresh_reused, and the family is revoked", async () => {
    expect(h.config.refreshGraceSeconds).toBe(0);
    const s = await statelessLogin(h.app);
    const results = await Promise.all([refresh(s.refreshToken), refresh(s.refreshToken), refresh(s.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
    expect(results.filter((r) => r.status === 401).map((r) => r.body.error.code)).toEqual([
      "refresh_reused",
      "refresh_reused",
    ]);
    const winner = results.find((r) => r.status === 200)?.body;
    expect((await refresh(winner.refreshToken)).status).toBe(401);
    expect(await familyState(fidOf(s.accessToken))).toEqual({ revoked: true, reason: "reuse" });
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
    await sleep(1200);
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

describe("REFRESH_GRACE (a spent token inside the window is a racing tab, not theft)", () => {
  it("REFRESH_GRACE above 60 or negative stops the server at start", () => {
    expect(() => loadStatelessConfig({ REFRESH_GRACE: "61" })).toThrow(/REFRESH_GRACE/);
    expect(() => loadStatelessConfig({ REFRESH_GRACE: "-1" })).toThrow(/REFRESH_GRACE/);
    expect(loadStatelessConfig({ REFRESH_GRACE: "60" }).refreshGraceSeconds).toBe(60);
  });

  it("REFRESH_GRACE=5: five concurrent refreshes with one token → all 200 in the same family, which stays alive", async () => {
    const grace = await statelessTestApp({ REFRESH_GRACE: "5" });
    const s = await statelessLogin(grace.app);
    const family = fidOf(s.accessToken);
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(s.refreshToken, grace)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const pairs = results.map((r) => r.body as { accessToken: string; refreshToken: string });
    expect(new Set(pairs.map((p) => p.refreshToken)).size).toBe(5);
    expect(pairs.map((p) => fidOf(p.accessToken))).toEqual(Array(5).fill(family));
    expect(await familyState(family)).toEqual({ revoked: false, reason: null });
    // The family now holds five live tokens, one per racer; each rotates on its own.
    const [first, second] = pairs as [(typeof pairs)[0], (typeof pairs)[0]];
    const later = await refresh(first.refreshToken, grace).expect(200);
    await request(grace.app).get("/me").set(bearer(later.body.accessToken)).expect(200);
    await refresh(second.refreshToken, grace).expect(200);
    await request(grace.app).get("/me").set(bearer(second.accessToken)).expect(200);
  });

  it("REFRESH_GRACE=1: a replay inside the window → 200; a reuse after it (the window does not slide) → 401 refresh_reused and the family revoked", async () => {
    const grace = await statelessTestApp({ REFRESH_GRACE: "1" });
    const s = await statelessLogin(grace.app);
    const next = (await refresh(s.refreshToken, grace).expect(200)).body;
    const spentAt = Date.now();
    await sleep(300);
    const racer = (await refresh(s.refreshToken, grace).expect(200)).body;
    // 1.2 s after the spend but under 1 s after the replay: a window counted from the replay would still be open.
    await sleep(1200 - (Date.now() - spentAt));
    const reuse = await refresh(s.refreshToken, grace);
    expect({ status: reuse.status, code: reuse.body.error?.code }).toEqual({ status: 401, code: "refresh_reused" });
    expect(await familyState(fidOf(s.accessToken))).toEqual({ revoked: true, reason: "reuse" });
    expect((await refresh(next.refreshToken, grace)).status).toBe(401);
    expect((await refresh(racer.refreshToken, grace)).status).toBe(401);
    expect((await request(grace.app).get("/me").set(bearer(next.accessToken))).status).toBe(401);
    expect((await request(grace.app).get("/me").set(bearer(racer.accessToken))).status).toBe(401);
  });

  it("REFRESH_GRACE=5: a spent token of a revoked family (logged out) inside the window → still 401, and no token is added", async () => {
    const grace = await statelessTestApp({ REFRESH_GRACE: "5" });
    const s = await statelessLogin(grace.app);
    const family = fidOf(s.accessToken);
    const next = (await refresh(s.refreshToken, grace).expect(200)).body;
    await refresh(s.refreshToken, grace).expect(200); // the window is open…
    await request(grace.app).post("/auth/logout").set(bearer(next.accessToken)).expect(204);
    const before = await tokensIn(family);
    const res = await refresh(s.refreshToken, grace);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 401, code: "refresh_reused" });
    expect(await tokensIn(family)).toBe(before);
    expect(await familyState(family)).toEqual({ revoked: true, reason: "logout" });
  });

  it("REFRESH_GRACE=5: the window forgives only the double spend: an expired token stays 401 token_expired, and nothing is revoked", async () => {
    const grace = await statelessTestApp({ REFRESH_GRACE: "5", REFRESH_TTL: "1" });
    const s = await statelessLogin(grace.app);
    await sleep(1200);
    for (let i = 0; i < 2; i++) {
      const res = await refresh(s.refreshToken, grace);
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 401, code: "token_expired" });
    }
    expect(await familyState(fidOf(s.accessToken))).toEqual({ revoked: false, reason: null });
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
