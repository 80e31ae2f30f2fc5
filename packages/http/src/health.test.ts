import express, { Router } from "express";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpApp } from "./app.js";
import { healthRoutes, type ReadinessCheck } from "./health.js";
import { createLogger } from "./logger.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

const never: ReadinessCheck = () => new Promise(() => {});

function mounted(checks: Record<string, ReadinessCheck>, timeoutMs = 100) {
  const app = express();
  app.use(healthRoutes(checks, timeoutMs));
  return app;
}

describe("/healthz", () => {
  it("GET /healthz → 200 {status: ok}, even when every readiness check fails", async () => {
    const app = mounted({ db: () => Promise.reject(new Error("down")), redis: never });
    const res = await request(app).get("/healthz");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("GET /healthz through createHttpApp → 200 with X-Instance-Id", async () => {
    const app = createHttpApp({ instanceId: "h1", logger, readiness: {}, logRequests: false }, Router());
    const res = await request(app).get("/healthz");
    expect(res.status).toBe(200);
    expect(res.headers["x-instance-id"]).toBe("h1");
  });
});

describe("/readyz", () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled = [];
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  it("no checks → 200 ready", async () => {
    const res = await request(mounted({})).get("/readyz");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ready", checks: {} });
  });

  it("every check resolves → 200 with each check ok", async () => {
    const res = await request(mounted({ postgres: async () => 1, redis: () => Promise.resolve("PONG") })).get(
      "/readyz",
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });
  });

  it("a check that rejects → 503 not_ready naming it, with Retry-After", async () => {
    const app = mounted({ postgres: async () => 1, redis: () => Promise.reject(new Error("ECONNREFUSED")) });
    const res = await request(app).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("not_ready");
    expect(res.body.error.message).toContain("redis");
    expect(res.body.error.message).not.toContain("postgres");
    expect(res.body.checks).toEqual({ postgres: "ok", redis: expect.stringMatching(/^down: /) });
    expect(res.headers["retry-after"]).toBe("1");
  });

  it("a check that never answers → 503 not_ready naming it, bounded by the timeout", async () => {
    const app = mounted({ postgres: async () => 1, redis: never }, 100);
    // Without the timeout this request would never complete; the client gives up long before the test does.
    const res = await request(app).get("/readyz").timeout(5_000);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("not_ready");
    expect(res.body.error.message).toContain("redis");
    expect(res.body.checks).toEqual({ postgres: "ok", redis: expect.stringMatching(/^down: /) });
  });

  it("a check slower than the timeout → 503 even though it would answer later", async () => {
    const slow: ReadinessCheck = () => new Promise((resolve) => setTimeout(resolve, 400));
    const res = await request(mounted({ slow }, 50)).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ slow: expect.stringMatching(/^down: /) });
  });

  it("several failing checks → 503 naming each of them", async () => {
    const app = mounted({
      postgres: () => Promise.reject(new Error("timeout")),
      redis: never,
      queue: async () => "ok",
    });
    const res = await request(app).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain("postgres");
    expect(res.body.error.message).toContain("redis");
    expect(res.body.error.message).not.toContain("queue");
    expect(res.body.checks.queue).toBe("ok");
  });

  it("a check that throws synchronously → 503 naming it, and no unhandled rejection afterwards", async () => {
    const throwing: ReadinessCheck = () => {
      throw new Error("client is closed");
    };
    const res = await request(mounted({ redis: throwing, postgres: async () => 1 }, 50)).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("not_ready");
    expect(res.body.checks).toEqual({ redis: expect.stringMatching(/^down: /), postgres: "ok" });
    // Past the timeout: its timer must not reject into the void (that ends a Node process).
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(unhandled).toEqual([]);
  });

  it.each([
    ["undefined", undefined],
    ["a string", "nope"],
    ["a plain object", { code: "ECONNRESET" }],
  ])("a check that rejects with %s → 503 naming it, never 500", async (_what, reason) => {
    const res = await request(mounted({ redis: () => Promise.reject(reason) })).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("not_ready");
    expect(res.body.checks).toEqual({ redis: expect.stringMatching(/^down: /) });
  });

  it("each request runs the checks again: a recovered dependency → 200", async () => {
    let isUp = false;
    const app = mounted({ redis: async () => (isUp ? "PONG" : Promise.reject(new Error("down"))) });
    expect((await request(app).get("/readyz")).status).toBe(503);
    isUp = true;
    expect((await request(app).get("/readyz")).status).toBe(200);
  });

  it("createHttpApp's readiness with a hanging check → 503 not_ready within its default timeout", async () => {
    const app = createHttpApp(
      { instanceId: "h1", logger, readiness: { postgres: async () => 1, redis: never }, logRequests: false },
      Router(),
    );
    const res = await request(app).get("/readyz").timeout(10_000);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("not_ready");
    expect(res.body.checks).toEqual({ postgres: "ok", redis: expect.stringMatching(/^down: /) });
    expect(res.headers["x-instance-id"]).toBe("h1");
  });
});
