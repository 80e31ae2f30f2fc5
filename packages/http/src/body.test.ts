import http from "node:http";
import { deflateSync, gzipSync } from "node:zlib";
import express, { Router } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHttpApp, DEFAULT_BODY_LIMIT_BYTES } from "./app.js";
import { jsonBody } from "./body.js";
import { createLogger } from "./logger.js";
import { methodNotAllowed } from "./request-context.js";
import { type RunningServer, serve } from "./server.js";
import { parseBody } from "./validate.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

function itemsApp(bodyLimitBytes?: number) {
  const routes = Router();
  const schema = z.strictObject({ name: z.string() });
  routes
    .route("/items")
    .post((req, res) => {
      res.status(201).json({ item: parseBody(schema, req) });
    })
    .put((req, res) => {
      res.json({ item: parseBody(schema, req) });
    })
    .delete((req, res) => {
      res.json({ body: req.body ?? null });
    })
    .all(methodNotAllowed(["POST", "PUT", "DELETE"]));
  return createHttpApp(
    {
      instanceId: "body-test",
      logger,
      readiness: {},
      logRequests: false,
      ...(bodyLimitBytes ? { bodyLimitBytes } : {}),
    },
    routes,
  );
}

const app = itemsApp();

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** node:http, so the exact headers (or their absence) go on the wire, unlike superagent's defaults. */
function send(
  url: string,
  options: { method: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${options.path}`,
      { method: options.method, headers: options.headers ?? {}, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

function errorCodeOf(text: string): unknown {
  return (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
}

describe("body size (H1)", () => {
  it("POST with a body one byte over bodyLimitBytes → 413 payload_too_large", async () => {
    const small = itemsApp(64);
    const body = JSON.stringify({ name: "x".repeat(64 - '{"name":""}'.length + 1) });
    expect(Buffer.byteLength(body)).toBe(65);
    const res = await request(small).post("/items").set("Content-Type", "application/json").send(body);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
  });

  it("POST with a body of exactly bodyLimitBytes → accepted", async () => {
    const small = itemsApp(64);
    const body = JSON.stringify({ name: "x".repeat(64 - '{"name":""}'.length) });
    expect(Buffer.byteLength(body)).toBe(64);
    const res = await request(small).post("/items").set("Content-Type", "application/json").send(body);
    expect(res.status).toBe(201);
  });

  it("POST with a 1 MB body and the default limit → 413 payload_too_large", async () => {
    expect(DEFAULT_BODY_LIMIT_BYTES).toBeLessThan(1_000_000);
    const res = await request(app)
      .post("/items")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ name: "x".repeat(1_000_000) }));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
  });

  it("a chunked body (no Content-Length) that grows past the limit → 413 payload_too_large", async () => {
    const running = await serve(itemsApp(64), { port: 0, logger });
    try {
      const res = await new Promise<RawResponse>((resolve, reject) => {
        const req = http.request(
          `${running.url}/items`,
          { method: "POST", headers: { "Content-Type": "application/json" }, agent: false },
          (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => {
              text += chunk;
            });
            response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
          },
        );
        req.on("error", reject);
        // Node sends Transfer-Encoding: chunked when there is no Content-Length.
        req.write('{"name":"');
        req.write("x".repeat(100));
        req.end('"}');
      });
      expect(res.status).toBe(413);
      expect(errorCodeOf(res.text)).toBe("payload_too_large");
    } finally {
      await running.close();
    }
  });
});

describe("JSON syntax and shape (H1)", () => {
  it.each([
    ["malformed JSON", "{oops", "malformed_json"],
    ["a truncated object", '{"name":"a"', "malformed_json"],
    ["a bare string", '"x"', "malformed_json"],
    ["a bare number", "42", "malformed_json"],
    ["a bare true", "true", "malformed_json"],
    ["a bare null", "null", "malformed_json"],
  ])("POST with %s → 400 %s", async (_what, body, code) => {
    const res = await request(app).post("/items").set("Content-Type", "application/json").send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it.each([
    ["an array", '[{"name":"a"}]'],
    ["an empty array", "[]"],
    ["an object with a wrong type", '{"name":42}'],
    ["an object with an unknown key", '{"name":"a","isAdmin":true}'],
    ["an empty object", "{}"],
  ])("POST with %s where a strictObject is expected → 400 invalid_request", async (_what, body) => {
    const res = await request(app).post("/items").set("Content-Type", "application/json").send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("an invalid_request error lists field paths without echoing the submitted value", async () => {
    const res = await request(app)
      .post("/items")
      .set("Content-Type", "application/json")
      .send('{"name":["s3cr3t-value"]}');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(res.body.error.details.fields).toEqual([{ path: "name", message: expect.any(String) }]);
    expect(res.text).not.toContain("s3cr3t-value");
  });
});

describe("no body (H1)", () => {
  it("POST with no body to a route that calls parseBody → 400 invalid_request", async () => {
    const res = await request(app).post("/items");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("PUT with no body to a route that calls parseBody → 400 invalid_request", async () => {
    const res = await request(app).put("/items");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("POST application/json with Content-Length: 0 → 400 invalid_request", async () => {
    const res = await request(app).post("/items").set("Content-Type", "application/json").send("");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("DELETE with no body → the route sees an undefined body (no 415)", async () => {
    const res = await request(app).delete("/items");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ body: null });
  });
});

describe("media type and charset (H1)", () => {
  it.each([
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=UTF-8",
    "application/json;charset=utf-8",
    'application/json; charset="utf-8"',
  ])("POST with Content-Type %s → accepted", async (type) => {
    const res = await request(app).post("/items").set("Content-Type", type).send('{"name":"a"}');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ item: { name: "a" } });
  });

  it.each([
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/octet-stream",
    "application/json; charset=latin1",
    "application/json; charset=iso-8859-1",
    "application/json; charset=utf-16",
    "not a media type",
  ])("POST with Content-Type %s → 415 unsupported_media_type", async (type) => {
    const res = await request(app).post("/items").set("Content-Type", type).send('{"name":"a"}');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
  });

  it.each(["put", "delete"] as const)("%s with a text/plain body → 415 unsupported_media_type", async (method) => {
    const res = await request(app)[method]("/items").set("Content-Type", "text/plain").send('{"name":"a"}');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
  });

  it.each([
    ["gzip", gzipSync(Buffer.from('{"name":"a"}'))],
    ["deflate", deflateSync(Buffer.from('{"name":"a"}'))],
    ["br", Buffer.from('{"name":"a"}')],
  ])("POST JSON with Content-Encoding: %s → 415 unsupported_media_type (never inflated)", async (encoding, body) => {
    const res = await request(app)
      .post("/items")
      .set("Content-Type", "application/json")
      .set("Content-Encoding", encoding)
      .send(body);
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
  });

  describe("on the wire", () => {
    let running: RunningServer;
    beforeAll(async () => {
      running = await serve(app, { port: 0, logger });
    });
    afterAll(async () => {
      await running.close();
    });

    it("POST with a body and no Content-Type header at all → 415 unsupported_media_type", async () => {
      const body = Buffer.from('{"name":"a"}');
      const res = await send(running.url, {
        method: "POST",
        path: "/items",
        headers: { "Content-Length": body.length },
        body,
      });
      expect(res.status).toBe(415);
      expect(errorCodeOf(res.text)).toBe("unsupported_media_type");
    });

    it("POST with a chunked text/plain body → 415 unsupported_media_type", async () => {
      const res = await send(running.url, {
        method: "POST",
        path: "/items",
        headers: { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" },
        body: '{"name":"a"}',
      });
      expect(res.status).toBe(415);
      expect(errorCodeOf(res.text)).toBe("unsupported_media_type");
    });

    it("POST with latin1-encoded bytes declared as utf-8 → parsed as UTF-8, never a 5xx", async () => {
      // 0xE9 is "é" in latin1 and an invalid byte in UTF-8: it becomes U+FFFD, not an error.
      const body = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
      const res = await send(running.url, {
        method: "POST",
        path: "/items",
        headers: { "Content-Type": "application/json; charset=utf-8", "Content-Length": body.length },
        body,
      });
      expect(res.status).toBe(201);
    });
  });
});

describe("jsonBody() checks its options", () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("limitBytes %s → throws when built", (limitBytes) => {
    expect(() => jsonBody({ limitBytes })).toThrow(TypeError);
  });

  it("a positive integer limit builds the two middlewares", () => {
    expect(jsonBody({ limitBytes: 1 })).toHaveLength(2);
  });

  it("mounted on a bare express app → a JSON object body reaches req.body", async () => {
    const bare = express();
    bare.use(jsonBody({ limitBytes: 1024 }));
    bare.post("/", (req, res) => {
      res.json({ got: req.body });
    });
    const res = await request(bare).post("/").set("Content-Type", "application/json").send('{"a":1}');
    expect(res.body).toEqual({ got: { a: 1 } });
  });
});
