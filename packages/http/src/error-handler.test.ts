import http from "node:http";
import { Router } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createHttpApp } from "./app.js";
import { toAppError } from "./error-handler.js";
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotSupportedError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthenticatedError,
} from "./errors.js";
import { createLogger } from "./logger.js";
import { serve } from "./server.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

const routes = Router();
routes.get("/items/:id", (req, res) => {
  res.json({ id: req.params.id });
});
routes.get("/boom", () => {
  throw new Error("secret detail from /srv/app/src/db.ts:12");
});
routes.get("/boom-async", async () => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw new Error("secret async detail");
});
routes.get("/reject-non-error", () => Promise.reject("secret string reason"));
routes.get("/type-error", (req) => {
  // A programming error: reading a property of undefined.
  return (req.body as { a: { b: string } }).a.b;
});
routes.get("/limited/:seconds", (req) => {
  throw new RateLimitedError(Number(req.params.seconds));
});
routes.get("/store-down", () => {
  throw new ServiceUnavailableError("store_unavailable", new Error("ECONNREFUSED 10.0.0.7:6379"));
});
routes.get("/db-down", async () => {
  throw new ServiceUnavailableError("db_unavailable");
});
routes.get("/conflict", () => {
  throw new ConflictError("version_conflict", "the resource moved on", { expectedVersion: 1, currentVersion: 2 });
});
routes.get("/taken", () => {
  throw new ConflictError("username_taken");
});
routes.get("/unauthenticated", () => {
  throw new UnauthenticatedError("token_expired", { headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' } });
});
routes.get("/forbidden", () => {
  throw new ForbiddenError("csrf_failed");
});
routes.get("/not-supported", () => {
  throw new NotSupportedError("sessions are not listed by this backend");
});
routes.get("/partial", (_req, res) => {
  // The answer has started: the error handler cannot send a JSON error any more.
  res.status(200).setHeader("Content-Type", "text/plain");
  res.write("partial ");
  throw new Error("failed mid-response");
});

const app = createHttpApp({ instanceId: "errors-test", logger, readiness: {}, logRequests: false }, routes);

const STACK_OR_PATH = /\n\s+at |\bat .*:\d+:\d+|\/srv\/|node_modules|\.ts:\d+|secret/;

describe("unexpected errors → bare 500", () => {
  it.each([
    ["a thrown Error", "/boom"],
    ["an async handler that rejects", "/boom-async"],
    ["a promise rejected with a string", "/reject-non-error"],
    ["a TypeError from a bug", "/type-error"],
  ])("%s → 500 internal with no message, stack or path", async (_what, path) => {
    const res = await request(app).get(path);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: "internal", message: "internal error" } });
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.text).not.toMatch(STACK_OR_PATH);
  });

  it("an error after the response started → the connection is cut, no JSON appended", async () => {
    const running = await serve(app, { port: 0, logger });
    try {
      const outcome = await new Promise<string>((resolve) => {
        http
          .get(`${running.url}/partial`, { agent: false }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              text += chunk;
            });
            res.on("end", () => resolve(`complete: ${text}`));
            res.on("error", () => resolve(`cut after: ${text}`));
            res.on("aborted", () => resolve(`cut after: ${text}`));
          })
          .on("error", () => resolve("cut"));
      });
      expect(outcome).toMatch(/^cut/);
      expect(outcome).not.toContain("error");
    } finally {
      await running.close();
    }
  });
});

describe("AppError subclasses keep status, code, headers and details", () => {
  it("RateLimitedError → 429 rate_limited with Retry-After rounded up to whole seconds", async () => {
    const res = await request(app).get("/limited/42.2");
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe("rate_limited");
    expect(res.headers["retry-after"]).toBe("43");
  });

  it("RateLimitedError with 0 seconds left → Retry-After: 1, never 0", async () => {
    const res = await request(app).get("/limited/0");
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("1");
  });

  it("ServiceUnavailableError → 503 with its code and Retry-After; the cause stays out of the body", async () => {
    const store = await request(app).get("/store-down");
    expect(store.status).toBe(503);
    expect(store.body.error.code).toBe("store_unavailable");
    expect(store.headers["retry-after"]).toBe("1");
    expect(store.text).not.toContain("10.0.0.7");
    const db = await request(app).get("/db-down");
    expect(db.status).toBe(503);
    expect(db.body.error.code).toBe("db_unavailable");
    expect(db.headers["retry-after"]).toBe("1");
  });

  it("ConflictError → 409 with its details in the body", async () => {
    const res = await request(app).get("/conflict");
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("version_conflict");
    expect(res.body.error.details).toEqual({ expectedVersion: 1, currentVersion: 2 });
  });

  it("ConflictError without details → 409 and no details key", async () => {
    const res = await request(app).get("/taken");
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("username_taken");
    expect(Object.keys(res.body.error).sort()).toEqual(["code", "message"]);
  });

  it("UnauthenticatedError → 401 with its code and the WWW-Authenticate header it carries", async () => {
    const res = await request(app).get("/unauthenticated");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("token_expired");
    expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
  });

  it("ForbiddenError → 403 with its code", async () => {
    const res = await request(app).get("/forbidden");
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("csrf_failed");
  });

  it("NotSupportedError → 404 not_supported", async () => {
    const res = await request(app).get("/not-supported");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_supported");
  });
});

describe("client mistakes outside the body", () => {
  it("an unknown route → 404 not_found JSON", async () => {
    const res = await request(app).get("/no/such/thing");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it.each(["/items/%ZZ", "/items/%E0%A4%A", "/items/%"])(
    "GET %s (an undecodable path parameter) → 400 invalid_request, not 500",
    async (path) => {
      const res = await request(app).get(path);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    },
  );

  it("a decodable path parameter still reaches the route", async () => {
    const res = await request(app).get("/items/a%20b");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: "a b" });
  });
});

describe("toAppError", () => {
  it("passes an AppError through unchanged", () => {
    const error = new AppError(418, "invalid_request");
    expect(toAppError(error)).toBe(error);
  });

  it.each([
    ["entity.too.large", 413, "payload_too_large"],
    ["entity.parse.failed", 400, "malformed_json"],
    ["charset.unsupported", 415, "unsupported_media_type"],
    ["encoding.unsupported", 415, "unsupported_media_type"],
    ["request.aborted", 400, "invalid_request"],
    ["request.size.invalid", 400, "invalid_request"],
  ])("a body-parser %s error → %i %s", (type, status, code) => {
    expect(toAppError(Object.assign(new Error("x"), { type }))).toMatchObject({ status, code });
  });

  it.each([
    ["a plain Error", new Error("x")],
    ["an error with an unknown type", Object.assign(new Error("x"), { type: "something.else" })],
    ["a URIError not marked by the router", new URIError("x")],
    ["a string", "x"],
    ["null", null],
  ])("%s → null (a bare 500)", (_what, error) => {
    expect(toAppError(error)).toBeNull();
  });
});
