import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listenProxy, type RunningProxy } from "./testing/listen.js";
import { startTestBackend, type TestBackend, waitFor } from "./testing/test-backend.js";

let backends: TestBackend[] = [];
const running: RunningProxy[] = [];

async function start(options: Partial<Parameters<typeof listenProxy>[0]> = {}) {
  const started = await listenProxy({
    backends: backends.map((backend) => ({ id: backend.id, url: backend.origin })),
    healthIntervalMs: 50,
    healthRise: 2,
    healthFall: 2,
    ...options,
  });
  running.push(started);
  return started;
}

async function stateOf(adminUrl: string, id: string) {
  const res = await request(adminUrl).get(`/backends/${id}`).expect(200);
  return res.body as { health: string; admin: string; inFlight: number; served: number };
}

beforeAll(async () => {
  backends = await Promise.all(["a1", "a2"].map((id) => startTestBackend(id)));
});
afterEach(async () => {
  for (const backend of backends) backend.setHealthy(true);
  await Promise.all(running.splice(0).map((proxy) => proxy.stop()));
});
afterAll(async () => {
  await Promise.all(backends.map((backend) => backend.kill()));
});

describe("active health checks", () => {
  it("take a failing backend out after `fall` checks and back after `rise`", async () => {
    const { url, adminUrl } = await start();
    backends[0]?.setHealthy(false);
    await waitFor(async () => (await stateOf(adminUrl, "a1")).health === "down", 10_000, "a1 down");
    for (let i = 0; i < 4; i++) {
      const res = await request(url).get("/whoami").expect(200);
      expect(res.headers["x-instance-id"]).toBe("a2");
    }
    backends[0]?.setHealthy(true);
    await waitFor(async () => (await stateOf(adminUrl, "a1")).health === "up", 10_000, "a1 up");
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(String((await request(url).get("/whoami")).headers["x-instance-id"]));
    expect(seen).toEqual(new Set(["a1", "a2"]));
  });
});

describe("drain", () => {
  it("sends no new requests to a draining backend and lets in-flight ones finish", async () => {
    const { url, adminUrl } = await start({ strategy: "round-robin" });
    const a1 = backends[0] as TestBackend;
    // Round robin from a fresh proxy: the first request goes to a1.
    const held = request(url)
      .get("/hold")
      .then((res) => res);
    await waitFor(() => a1.held() === 1, 10_000, "a request parked on a1");
    const drained = await request(adminUrl).post("/backends/a1/drain").send({}).expect(200);
    expect(drained.body).toMatchObject({ id: "a1", admin: "draining", inFlight: 1, isAvailable: false });
    for (let i = 0; i < 4; i++) {
      const res = await request(url).get("/whoami").expect(200);
      expect(res.headers["x-instance-id"]).toBe("a2");
    }
    a1.release();
    const finished = await held;
    expect(finished.status).toBe(200);
    expect(finished.headers["x-instance-id"]).toBe("a1");
    await waitFor(async () => (await stateOf(adminUrl, "a1")).inFlight === 0, 10_000, "a1 idle");
    await request(adminUrl).post("/backends/a1/enable").send({}).expect(200);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(String((await request(url).get("/whoami")).headers["x-instance-id"]));
    expect(seen.has("a1")).toBe(true);
  });
});

describe("admin API", () => {
  it("GET /backends lists state, in-flight and served counts", async () => {
    const { url, adminUrl } = await start();
    await request(url).get("/whoami").expect(200);
    await request(url).get("/whoami").expect(200);
    const res = await request(adminUrl).get("/backends").expect(200);
    expect(res.body.strategy).toBe("round-robin");
    expect(res.body.backends).toHaveLength(2);
    expect(res.body.backends[0]).toMatchObject({ id: "a1", health: "up", admin: "enabled", inFlight: 0, served: 1 });
  });

  it("PUT /strategy switches the strategy at runtime", async () => {
    const { url, adminUrl } = await start();
    const before = await request(url).get("/whoami").expect(200);
    expect(before.headers["set-cookie"]).toBeUndefined();
    await request(adminUrl)
      .put("/strategy")
      .send({ strategy: "sticky-cookie" })
      .expect(200, { strategy: "sticky-cookie" });
    const after = await request(url).get("/whoami").expect(200);
    expect(String(after.headers["set-cookie"])).toMatch(/^SL_BACKEND=a[12];/);
  });

  it("PUT /strategy with an unknown name → 400 bad_request", async () => {
    const { adminUrl } = await start();
    const res = await request(adminUrl).put("/strategy").send({ strategy: "random" }).expect(400);
    expect(res.body.error.code).toBe("bad_request");
    const broken = await request(adminUrl)
      .put("/strategy")
      .set("Content-Type", "application/json")
      .send("{")
      .expect(400);
    expect(broken.body.error.code).toBe("bad_request");
  });

  it("unknown backends and routes → 404 not_found; wrong methods → 405", async () => {
    const { adminUrl } = await start();
    expect((await request(adminUrl).post("/backends/zz/drain").send({}).expect(404)).body.error.code).toBe("not_found");
    expect((await request(adminUrl).get("/nope").expect(404)).body.error.code).toBe("not_found");
    expect(
      (await request(adminUrl).delete("/backends").set("Content-Type", "application/json").expect(405)).body.error.code,
    ).toBe("method_not_allowed");
  });

  it("GET /metrics serves Prometheus text with per-backend counters", async () => {
    const { url, adminUrl } = await start();
    await request(url).get("/whoami").expect(200);
    const res = await request(adminUrl).get("/metrics").expect(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/statelab_proxy_responses_total\{backend="a1",class="2xx"\} 1/);
    expect(res.text).toMatch(/statelab_proxy_backend_up\{backend="a2"\} 1/);
    expect(res.text).toMatch(/statelab_proxy_strategy_info\{strategy="round-robin"\} 1/);
  });
});

describe("the admin API refuses what a web page can make a browser send (H6)", () => {
  const isDraining = async (adminUrl: string) => (await stateOf(adminUrl, "a1")).admin === "draining";

  it("a body-less POST drain — a CORS simple request — → 415, and nothing is drained", async () => {
    const { adminUrl } = await start();
    const res = await request(adminUrl).post("/backends/a1/drain").expect(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
    const form = await request(adminUrl).post("/backends/a1/drain").type("form").send("x=1");
    expect(form.status).toBe(415);
    expect(await isDraining(adminUrl)).toBe(false);
  });

  it("a write from another Origin → 403 forbidden, even as JSON; nothing is drained", async () => {
    const { adminUrl } = await start();
    for (const [header, value] of [
      ["Origin", "https://evil.example"],
      ["Origin", "null"],
      ["Sec-Fetch-Site", "cross-site"],
    ] as const) {
      const res = await request(adminUrl).post("/backends/a1/drain").set(header, value).send({}).expect(403);
      expect(res.body.error.code).toBe("forbidden");
    }
    expect(await isDraining(adminUrl)).toBe(false);
    // Its own page (same origin) may.
    await request(adminUrl).post("/backends/a1/drain").set("Origin", adminUrl).send({}).expect(200);
  });

  it("a foreign Host (DNS rebinding) → 403, for reads too; the strategy is unchanged", async () => {
    const { adminUrl } = await start();
    const port = new URL(adminUrl).port;
    for (const host of [`evil.example:${port}`, "127.0.0.1", `127.0.0.1:${Number(port) + 1}`]) {
      expect((await request(adminUrl).get("/backends").set("Host", host)).status).toBe(403);
      expect(
        (await request(adminUrl).put("/strategy").set("Host", host).send({ strategy: "source-hash" })).status,
      ).toBe(403);
    }
    const text = await request(adminUrl).put("/strategy").type("text/plain").send('{"strategy":"source-hash"}');
    expect(text.status).toBe(415);
    expect((await request(adminUrl).get("/strategy").set("Host", `localhost:${port}`).expect(200)).body).toEqual({
      strategy: "round-robin",
    });
  });
});
