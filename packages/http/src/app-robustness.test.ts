import { Router } from "express";
import fc from "fast-check";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createHttpApp } from "./app.js";
import { createLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { methodNotAllowed } from "./request-context.js";
import { parseBody } from "./validate.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

/** An app with only well-behaved routes: any 5xx the property finds is the kit's fault. */
function robustApp() {
  const routes = Router();
  const item = z.strictObject({ name: z.string().max(100), tags: z.array(z.string()).max(5).optional() });
  routes
    .route("/items")
    .post((req, res) => {
      res.status(201).json({ item: parseBody(item, req) });
    })
    .all(methodNotAllowed(["POST"]));
  routes
    .route("/items/:id")
    .get((req, res) => {
      res.json({ id: req.params.id });
    })
    .put((req, res) => {
      res.json({ id: req.params.id, item: parseBody(item, req) });
    })
    .all(methodNotAllowed(["GET", "PUT"]));
  return createHttpApp(
    {
      instanceId: "prop-1",
      logger,
      readiness: { db: async () => 1 },
      metrics: createMetrics({ instanceId: "prop-1", defaultMetrics: false }),
      logRequests: false,
    },
    routes,
  );
}

const app = robustApp();

const METHODS = ["get", "post", "put", "patch", "delete", "options", "head", "trace"] as const;

/** Characters an HTTP client will put in a header value (no CR, LF or other controls). */
const HEADER_CHARS = [
  "\t",
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
  "\u00e9",
  "\u00ff",
];
const headerValue = fc.string({ unit: fc.constantFrom(...HEADER_CHARS), maxLength: 80 });

const PATH_CHARS = [..."abcXYZ019-._~!$&'()*+,;=:@%?/"];
const segment = fc.oneof(
  fc.constantFrom("items", "1", "%ZZ", "%E0%A4%A", "%", "%00", "%2F", "..", ".", "__proto__", "constructor", "healthz"),
  fc.string({ unit: fc.constantFrom(...PATH_CHARS), maxLength: 12 }),
);
const path = fc.oneof(
  fc.constantFrom("/items", "/items/1", "/items/%ZZ", "/healthz", "/readyz", "/metrics", "/nope"),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join("/")}`),
);

const body = fc.option(
  fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc
      .record({ name: fc.string({ maxLength: 120 }), tags: fc.array(fc.string(), { maxLength: 7 }) })
      .map((value) => JSON.stringify(value)),
    fc.constantFrom(
      '{"name":"a"}',
      '{"__proto__":{"polluted":true}}',
      '{"name":"a","constructor":{"prototype":{"polluted":true}}}',
      "[]",
      "null",
      '"x"',
      "42",
      "{",
    ),
    fc.nat({ max: 40_000 }).map((n) => `{"name":"${"x".repeat(n)}"}`),
  ),
  { nil: undefined },
);

const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/json; charset=latin1",
      "application/json; charset=utf-16",
      'application/json; charset="utf-8"',
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/merge-patch+json",
      "",
    ),
    headerValue,
  ),
  { nil: undefined },
);

const contentEncoding = fc.option(fc.oneof(fc.constantFrom("gzip", "deflate", "br", "identity"), headerValue), {
  nil: undefined,
});

const STACK_OR_PATH = /\n\s+at |\bat [^\s]+ \(|\/work\/|node_modules|\.[jt]s:\d+/;

describe("robustness (H2)", () => {
  it("1,000 arbitrary requests (method, path, body, Content-Type and other headers) → never a 5xx, every error is JSON {error:{code,message}} without a stack, and /healthz still answers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.constantFrom(...METHODS),
          path,
          body,
          contentType,
          contentEncoding,
          requestId: fc.option(headerValue, { nil: undefined }),
          accept: fc.option(headerValue, { nil: undefined }),
          cookie: fc.option(headerValue, { nil: undefined }),
        }),
        async (input) => {
          let req = request(app)[input.method](input.path);
          if (input.contentType !== undefined) req = req.set("Content-Type", input.contentType);
          if (input.contentEncoding !== undefined) req = req.set("Content-Encoding", input.contentEncoding);
          if (input.requestId !== undefined) req = req.set("X-Request-Id", input.requestId);
          if (input.accept !== undefined) req = req.set("Accept", input.accept);
          if (input.cookie !== undefined) req = req.set("Cookie", input.cookie);
          // superagent frames a HEAD body so that Node's parser refuses it before express runs
          // (in production serve() answers that JSON 400); that is not the app under test.
          if (input.body !== undefined && input.method !== "head") req = req.send(input.body);
          const res = await req;

          expect(res.status).toBeGreaterThanOrEqual(200);
          expect(res.status).toBeLessThan(500);
          expect(res.headers["x-instance-id"]).toBe("prop-1");
          expect(res.headers["x-request-id"]).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
          if (res.status >= 400 && input.method !== "head") {
            expect(res.headers["content-type"]).toMatch(/^application\/json/);
            const error: unknown = res.body.error;
            expect(error).toEqual({
              code: expect.stringMatching(/^[a-z_]+$/),
              message: expect.any(String),
              ...(error && typeof error === "object" && "details" in error ? { details: expect.anything() } : {}),
            });
            expect(res.text).not.toMatch(STACK_OR_PATH);
          }
        },
      ),
      { numRuns: 1000 },
    );

    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    const health = await request(app).get("/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
  }, 60_000);
});
