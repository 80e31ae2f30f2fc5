import net from "node:net";
import { Router } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpApp } from "./app.js";
import { RateLimitedError } from "./errors.js";
import { createLogger } from "./logger.js";
import { instanceIdHeader, methodNotAllowed, requestIdOf } from "./request-context.js";
import { type RunningServer, serve } from "./server.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function testApp(logRequests: boolean) {
  const routes = Router();
  routes.get("/items/:id", (req, res) => {
    // req.id is typed by pino-http's augmentation, which this file does not load.
    res.json({ id: req.params.id, requestId: Reflect.get(req, "id") });
  });
  routes
    .route("/items")
    .post((_req, res) => {
      res.status(201).json({ ok: true });
    })
    .all(methodNotAllowed(["POST"]));
  routes
    .route("/things")
    .get((_req, res) => {
      res.json([]);
    })
    .all(methodNotAllowed(["GET"]));
  routes.get("/boom", () => {
    throw new Error("boom");
  });
  routes.get("/limited", () => {
    throw new RateLimitedError(5);
  });
  return createHttpApp({ instanceId: "api-1.eu_west", logger, readiness: {}, logRequests }, routes);
}

/** Writes raw bytes (for header values an HTTP client refuses to send) and returns the raw response head. */
function rawHead(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let out = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("\r\n\r\n")) {
        socket.destroy();
        resolve(out.slice(0, out.indexOf("\r\n\r\n")));
      }
    });
    socket.on("error", reject);
    socket.on("end", () => resolve(out));
  });
}

function headerOf(head: string, name: string): string | undefined {
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

describe.each([
  ["without request logs", false],
  ["with pino-http request logs", true],
])("request context %s", (_mode, logRequests) => {
  const app = testApp(logRequests);
  let running: RunningServer;
  beforeAll(async () => {
    running = await serve(app, { port: 0, logger });
  });
  afterAll(async () => {
    await running.close();
  });

  it.each([
    ["2xx", "get", "/items/1", 200],
    ["4xx", "get", "/limited", 429],
    ["404", "get", "/nowhere", 404],
    ["405", "put", "/items", 405],
    ["500", "get", "/boom", 500],
    ["HEAD", "head", "/items/1", 200],
  ] as const)("a %s response carries X-Instance-Id and an X-Request-Id", async (_kind, method, path, status) => {
    const res = await request(app)[method](path);
    expect(res.status).toBe(status);
    expect(res.headers["x-instance-id"]).toBe("api-1.eu_west");
    expect(res.headers["x-request-id"]).toMatch(UUID);
  });

  it("a 405 from the method guard (TRACE) carries X-Instance-Id too", async () => {
    const res = await request(app).trace("/items/1");
    expect(res.status).toBe(405);
    expect(res.headers["x-instance-id"]).toBe("api-1.eu_west");
  });

  it.each(["abc-123", "proxy.7f3a_01", "x".repeat(64)])("a safe X-Request-Id %s is echoed and used", async (id) => {
    const res = await request(app).get("/items/1").set("X-Request-Id", id);
    expect(res.headers["x-request-id"]).toBe(id);
    expect(res.body.requestId).toBe(id);
  });

  it.each([
    ["spaces", "has spaces"],
    ["200 characters", "a".repeat(200)],
    ["65 characters", "a".repeat(65)],
    ["a header-injection attempt", "abc%0d%0aSet-Cookie:%20sid=1"],
    ["quotes and angle brackets", '"><script>'],
    ["a semicolon", "a;b=c"],
  ])("an X-Request-Id with %s is replaced by a generated id", async (_what, hostile) => {
    const res = await request(app).get("/items/1").set("X-Request-Id", hostile);
    expect(res.headers["x-request-id"]).not.toBe(hostile);
    expect(res.headers["x-request-id"]).toMatch(UUID);
    expect(res.body.requestId).toBe(res.headers["x-request-id"]);
  });

  it("two X-Request-Id headers → replaced (never the joined value)", async () => {
    const head = await rawHead(
      running.port,
      "GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\r\nX-Request-Id: b\r\nConnection: close\r\n\r\n",
    );
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(headerOf(head, "X-Request-Id")).toMatch(UUID);
  });

  it("an X-Request-Id with a tab or obs-text bytes → replaced, and nothing reflected", async () => {
    const head = await rawHead(
      running.port,
      "GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\tb\xff\xfe\r\nConnection: close\r\n\r\n",
    );
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(headerOf(head, "X-Request-Id")).toMatch(UUID);
  });

  it("a bare CR inside X-Request-Id → the request is refused, and no header is injected", async () => {
    const head = await rawHead(
      running.port,
      "GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rSet-Cookie: sid=evil\r\nConnection: close\r\n\r\n",
    );
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head.toLowerCase()).not.toContain("set-cookie");
  });
});

describe("method guard (H4)", () => {
  const app = testApp(false);

  it.each(["trace", "propfind", "lock"] as const)(
    "%s → 405 method_not_allowed with an Allow header",
    async (method) => {
      const res = await request(app)[method]("/items/1");
      expect(res.status).toBe(405);
      expect(res.body.error.code).toBe("method_not_allowed");
      expect(res.headers.allow).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    },
  );

  it.each(["put", "patch", "delete", "get"] as const)(
    "%s on a POST-only route → 405 method_not_allowed, Allow: POST",
    async (method) => {
      const res = await request(app)[method]("/items");
      expect(res.status).toBe(405);
      expect(res.body.error.code).toBe("method_not_allowed");
      expect(res.headers.allow).toBe("POST");
    },
  );

  it("POST on a GET-only route → 405 with Allow: GET, HEAD", async () => {
    const res = await request(app).post("/things");
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe("method_not_allowed");
    expect(res.headers.allow).toBe("GET, HEAD");
  });

  it("HEAD on a GET-only route → 200", async () => {
    await request(app).head("/things").expect(200);
  });
});

describe("requestIdOf", () => {
  it("keeps a safe id and generates a UUID for a missing, repeated or unsafe one", () => {
    expect(requestIdOf("edge-01.a_b")).toBe("edge-01.a_b");
    expect(requestIdOf(undefined)).toMatch(UUID);
    expect(requestIdOf("")).toMatch(UUID);
    expect(requestIdOf(["a", "b"])).toMatch(UUID);
    expect(requestIdOf("a\r\nb")).toMatch(UUID);
    expect(requestIdOf("é")).toMatch(UUID);
  });

  it("generates a different id each time", () => {
    expect(requestIdOf(undefined)).not.toBe(requestIdOf(undefined));
  });
});

describe("instanceIdHeader() checks its options", () => {
  it.each([
    ["a space", "bad id"],
    ["CRLF", "a\r\nX-Evil: 1"],
    ["an empty string", ""],
    ["65 characters", "i".repeat(65)],
    ["a colon", "host:4101"],
    ["non-ASCII", "инстанс"],
  ])("an id with %s → throws when built", (_what, id) => {
    expect(() => instanceIdHeader(id)).toThrow(TypeError);
  });

  it("createHttpApp with a bad instance id → throws when built", () => {
    expect(() => createHttpApp({ instanceId: "bad id", logger, readiness: {} }, Router())).toThrow(TypeError);
  });

  it("a valid id builds a middleware", () => {
    expect(typeof instanceIdHeader("stateful-2")).toBe("function");
  });
});
