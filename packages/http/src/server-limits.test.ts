import http from "node:http";
import net from "node:net";
import { Router } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpApp } from "./app.js";
import { createLogger } from "./logger.js";
import { methodNotAllowed } from "./request-context.js";
import { type RunningServer, serve } from "./server.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

function limitsApp() {
  const routes = Router();
  routes
    .route("/items")
    .post((_req, res) => {
      res.status(201).json({ ok: true });
    })
    .all(methodNotAllowed(["POST"]));
  routes.get("/whoami", (req, res) => {
    res.json({ cookieBytes: req.headers.cookie?.length ?? 0 });
  });
  return createHttpApp({ instanceId: "limits-1", logger, readiness: {}, logRequests: false }, routes);
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function call(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Raw bytes in, raw response out: for requests an HTTP client refuses to build. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let out = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      out += chunk;
    });
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

function bodyOf(response: string): unknown {
  return JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
}

const codeOf = (text: string) => (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;

describe("a real server from serve() (H4)", () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await serve(limitsApp(), { port: 0, logger });
  });
  afterAll(async () => {
    await running.close();
  });

  it("a 20 KB Cookie header → 431 with the JSON error header_too_large", async () => {
    const res = await call(running.url, "GET", "/whoami", { Cookie: `sid=${"x".repeat(20_000)}` });
    expect(res.status).toBe(431);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers.connection).toBe("close");
    // Node answers before express runs; the README still promises these on every response.
    expect(res.headers["x-instance-id"]).toBe("limits-1");
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(res.text)).toEqual({ error: { code: "header_too_large", message: expect.any(String) } });
  });

  it("an 8 KB Cookie header → served normally", async () => {
    const res = await call(running.url, "GET", "/whoami", { Cookie: `sid=${"x".repeat(8_000)}` });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ cookieBytes: 8_004 });
  });

  it("many small headers adding up to 20 KB → 431 header_too_large", async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 200; i += 1) headers[`X-Filler-${i}`] = "y".repeat(100);
    const res = await call(running.url, "GET", "/whoami", headers);
    expect(res.status).toBe(431);
    expect(codeOf(res.text)).toBe("header_too_large");
  });

  it("a 20 KB request line (raw socket) → 431 header_too_large", async () => {
    const response = await raw(running.port, `GET /whoami?q=${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(response)).toEqual({ error: { code: "header_too_large", message: expect.any(String) } });
  });

  it("a request that is not HTTP (raw socket) → 400 with the JSON error invalid_request", async () => {
    const response = await raw(running.port, "HELLO THERE\r\n\r\n");
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toMatch(/\r\nX-Instance-Id: limits-1\r\n/);
    expect(bodyOf(response)).toEqual({ error: { code: "invalid_request", message: expect.any(String) } });
  });

  it("a header line with a bare LF inside its value (raw socket) → 400, never reflected", async () => {
    const response = await raw(running.port, "GET /whoami HTTP/1.1\r\nHost: x\r\nX-A: a\nSet-Cookie: evil=1\r\n\r\n");
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response.toLowerCase()).not.toContain("evil");
  });

  it("both Content-Length and Transfer-Encoding (a smuggling shape) → 400 invalid_request", async () => {
    const response = await raw(
      running.port,
      "POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(response)).toEqual({ error: { code: "invalid_request", message: expect.any(String) } });
  });

  it("TRACE → 405 method_not_allowed", async () => {
    const res = await call(running.url, "TRACE", "/whoami");
    expect(res.status).toBe(405);
    expect(codeOf(res.text)).toBe("method_not_allowed");
    expect(res.headers["x-instance-id"]).toBe("limits-1");
  });

  it("PUT on a route guarded by .all(methodNotAllowed(['POST'])) → 405 with Allow: POST", async () => {
    const res = await call(running.url, "PUT", "/items");
    expect(res.status).toBe(405);
    expect(codeOf(res.text)).toBe("method_not_allowed");
    expect(res.headers.allow).toBe("POST");
  });

  it("an unknown route → 404 not_found JSON with X-Instance-Id", async () => {
    const res = await call(running.url, "GET", "/does/not/exist");
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(codeOf(res.text)).toBe("not_found");
    expect(res.headers["x-instance-id"]).toBe("limits-1");
  });

  it("after all of the above, the server still answers /healthz", async () => {
    const res = await call(running.url, "GET", "/healthz");
    expect(res.status).toBe(200);
  });
});

describe("serve({ maxHeaderBytes })", () => {
  it("a smaller header cap → a 2 KB Cookie header gets 431 header_too_large", async () => {
    const running = await serve(limitsApp(), { port: 0, logger, maxHeaderBytes: 1024 });
    try {
      const res = await call(running.url, "GET", "/whoami", { Cookie: `sid=${"x".repeat(2_000)}` });
      expect(res.status).toBe(431);
      expect(codeOf(res.text)).toBe("header_too_large");
      expect((await call(running.url, "GET", "/whoami", { Cookie: "sid=1" })).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
