import { gzipSync } from "node:zlib";
import { Router } from "express";
import fc from "fast-check";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createHttpApp } from "./app.js";
import { ConflictError, RateLimitedError, ServiceUnavailableError } from "./errors.js";
import { createLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { methodNotAllowed } from "./request-context.js";
import { parseBody } from "./validate.js";

const logger = createLogger({ name: "test", instanceId: "t1", level: "silent" });

function testApp(options: { bodyLimitBytes?: number } = {}) {
  const routes = Router();
  const schema = z.strictObject({ name: z.string().max(50) });
  routes
    .route("/items")
    .post((req, res) => {
      res.status(201).json({ item: parseBody(schema, req) });
    })
    .all(methodNotAllowed(["POST"]));
  routes.get("/items/:id", (req, res) => {
    res.json({ id: req.params.id });
  });
  routes.get("/boom", () => {
    throw new Error("secret detail at /srv/app.js:12");
  });
  routes.get("/boom-async", async () => {
    await Promise.resolve();
    throw new Error("secret async detail");
  });
  routes.get("/limited", () => {
    throw new RateLimitedError(42.2);
  });
  routes.get("/down", () => {
    throw new ServiceUnavailableError("store_unavailable");
  });
  routes.get("/conflict", () => {
    throw new ConflictError("version_conflict", "moved", { expectedVersion: 1, currentVersion: 2 });
  });
  const metrics = createMetrics({ instanceId: "t1", defaultMetrics: false });
  const app = createHttpApp(
    { instanceId: "t1", logger, readiness: {}, metrics, logRequests: false, ...options },
    routes,
  );
  return app;
}

const app = testApp();
const errorOf = (res: { status: number; body: { error?: { code?: string } } }) => ({
  status: res.status,
  code: res.body.error?.code,
});

describe("JSON bodies (H1)", () => {
  it("a valid JSON object → parsed and validated", async () => {
    const res = await request(app).post("/items").send({ name: "a" }).expect(201);
    expect(res.body).toEqual({ item: { name: "a" } });
  });

  it("charset=utf-8 is accepted", async () => {
    await request(app)
      .post("/items")
      .set("Content-Type", "application/json; charset=utf-8")
      .send('{"name":"a"}')
      .expect(201);
  });

  it("a body over the limit → 413 payload_too_large", async () => {
    const small = testApp({ bodyLimitBytes: 64 });
    expect(
      errorOf(
        await request(small)
          .post("/items")
          .send({ name: "x".repeat(100) }),
      ),
    ).toEqual({ status: 413, code: "payload_too_large" });
  });

  it("a 1 MB body with the default limit → 413, quickly", async () => {
    const started = Date.now();
    expect(
      errorOf(
        await request(app)
          .post("/items")
          .send({ name: "x".repeat(1_000_000) }),
      ),
    ).toEqual({ status: 413, code: "payload_too_large" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.each([
    ["malformed JSON", "{oops", 400, "malformed_json"],
    ["a bare string", '"x"', 400, "malformed_json"],
    ["a bare number", "42", 400, "malformed_json"],
    ["an array where an object is expected", "[1,2]", 400, "invalid_request"],
    ["an unknown key", '{"name":"a","admin":true}', 400, "invalid_request"],
  ])("%s → %i %s", async (_what, body, status, code) => {
    const res = await request(app).post("/items").set("Content-Type", "application/json").send(body);
    expect(errorOf(res)).toEqual({ status, code });
  });

  it.each([
    ["text/plain", "text/plain"],
    ["a form", "application/x-www-form-urlencoded"],
    ["latin1 JSON", "application/json; charset=latin1"],
    ["utf-16 JSON", "application/json; charset=utf-16"],
  ])("%s → 415 unsupported_media_type", async (_what, type) => {
    const res = await request(app).post("/items").set("Content-Type", type).send('{"name":"a"}');
    expect(errorOf(res)).toEqual({ status: 415, code: "unsupported_media_type" });
  });

  it("a gzip-encoded body → 415 (never inflated past the limit)", async () => {
    const res = await request(app)
      .post("/items")
      .set("Content-Type", "application/json")
      .set("Content-Encoding", "gzip")
      .send(gzipSync(Buffer.from('{"name":"a"}')));
    expect(errorOf(res)).toEqual({ status: 415, code: "unsupported_media_type" });
  });

  it("a body without Content-Type → 415; no body at all → 400 invalid_request", async () => {
    const noType = await request(app).post("/items").set("Content-Type", "").send(Buffer.from('{"name":"a"}'));
    expect(errorOf(noType)).toEqual({ status: 415, code: "unsupported_media_type" });
    expect(errorOf(await request(app).post("/items"))).toEqual({ status: 400, code: "invalid_request" });
  });
});

describe("prototype pollution (H3)", () => {
  it.each([
    '{"__proto__":{"polluted":true}}',
    '{"name":"a","__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
  ])("%s → 400 and nothing polluted", async (body) => {
    const res = await request(app).post("/items").set("Content-Type", "application/json").send(body);
    expect(res.status).toBe(400);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("errors", () => {
  it("a thrown Error → 500 internal with no message, stack or path", async () => {
    for (const path of ["/boom", "/boom-async"]) {
      const res = await request(app).get(path);
      expect(res.body).toEqual({ error: { code: "internal", message: "internal error" } });
      expect(res.status).toBe(500);
      expect(res.text).not.toMatch(/secret|\/srv|at /);
    }
  });

  it("AppErrors keep their status, code, headers and details", async () => {
    const limited = await request(app).get("/limited");
    expect(errorOf(limited)).toEqual({ status: 429, code: "rate_limited" });
    expect(limited.headers["retry-after"]).toBe("43");
    const down = await request(app).get("/down");
    expect(errorOf(down)).toEqual({ status: 503, code: "store_unavailable" });
    expect(down.headers["retry-after"]).toBe("1");
    const conflict = await request(app).get("/conflict");
    expect(errorOf(conflict)).toEqual({ status: 409, code: "version_conflict" });
    expect(conflict.body.error.details).toEqual({ expectedVersion: 1, currentVersion: 2 });
  });

  it("an unknown route → 404 not_found; TRACE → 405; a wrong method on a route → 405 with Allow", async () => {
    expect(errorOf(await request(app).get("/nope"))).toEqual({ status: 404, code: "not_found" });
    expect(errorOf(await request(app).trace("/items"))).toEqual({ status: 405, code: "method_not_allowed" });
    const put = await request(app).put("/items").send({ name: "a" });
    expect(errorOf(put)).toEqual({ status: 405, code: "method_not_allowed" });
    expect(put.headers.allow).toBe("POST");
  });
});

describe("ids on every response", () => {
  it("X-Instance-Id on 2xx, 4xx, 404 and 500", async () => {
    for (const path of ["/items/1", "/nope", "/boom", "/limited"]) {
      expect((await request(app).get(path)).headers["x-instance-id"]).toBe("t1");
    }
  });

  it("a safe X-Request-Id is echoed; a hostile one is replaced", async () => {
    expect((await request(app).get("/items/1").set("X-Request-Id", "abc-123")).headers["x-request-id"]).toBe("abc-123");
    for (const hostile of ["has spaces", "x".repeat(200), "a;b=c"]) {
      const id = (await request(app).get("/items/1").set("X-Request-Id", hostile)).headers["x-request-id"];
      expect(id).not.toBe(hostile);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("/metrics", () => {
  it("counts requests by route pattern, never by raw path", async () => {
    const metricsApp = testApp();
    await request(metricsApp).get("/items/12345").expect(200);
    await request(metricsApp).get("/items/67890").expect(200);
    const text = (await request(metricsApp).get("/metrics").expect(200)).text;
    expect(text).toMatch(/http_requests_total\{[^}]*route="\/items\/:id"[^}]*\} 2/);
    expect(text).not.toContain("12345");
  });
});

describe("robustness (H2)", () => {
  it("1,000 arbitrary bodies and content types → never a 5xx, always the JSON error shape, never a stack", async () => {
    const types = fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/json; charset=ascii",
      "application/xml",
      "",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        ),
        types,
        async (body, type) => {
          const res = await request(app)
            .post("/items")
            .set("Content-Type", type)
            .send(typeof body === "string" ? body : body);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.body.error).toEqual(
              expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
            );
            expect(res.text).not.toMatch(/\n\s+at |node_modules/);
          }
        },
      ),
      { numRuns: 1000 },
    );
    await request(app).get("/healthz").expect(200);
  }, 60_000);
});
