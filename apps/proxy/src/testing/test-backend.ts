import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";

/** A small express backend for proxy tests and the benchmark; every response names its instance. */
export interface TestBackend {
  readonly id: string;
  readonly port: number;
  readonly origin: string;
  /** Requests seen on /whoami (health checks excluded). */
  readonly hits: () => number;
  /** Requests parked on /hold right now. */
  readonly held: () => number;
  setHealthy(isHealthy: boolean): void;
  /** Answers every parked /hold request. */
  release(): void;
  /** Stops listening and drops every connection, like a killed process. */
  kill(): Promise<void>;
}

export async function startTestBackend(id: string, port = 0): Promise<TestBackend> {
  let isHealthy = true;
  let hits = 0;
  let parked: (() => void)[] = [];
  const app = express();
  app.disable("x-powered-by");
  app.use((_req, res, next) => {
    res.setHeader("x-instance-id", id);
    next();
  });
  app.get("/healthz", (_req, res) => {
    res.status(isHealthy ? 200 : 503).json({ status: isHealthy ? "ok" : "down" });
  });
  app.all("/whoami", (req, res) => {
    hits++;
    res.json({ instance: id, method: req.method, headers: req.headers, peer: req.socket.remoteAddress });
  });
  // An instance's operator endpoints, as express routes them (any case, a trailing slash):
  // the public proxy must answer these itself, never reach them.
  app.get(["/metrics", "/lease", "/readyz"], (req, res) => {
    hits++;
    res.json({ instance: id, detail: `internal ${req.path}` });
  });
  app.get("/hold", async (_req, res) => {
    await new Promise<void>((resolve) => parked.push(resolve));
    res.json({ instance: id, held: true });
  });
  app.get("/reset", (_req, res) => {
    // Promise 1 KB, send a little, then drop the connection mid-response.
    res.writeHead(200, { "content-type": "text/plain", "content-length": "1024" });
    res.write("partial");
    setImmediate(() => res.socket?.destroy());
  });
  app.post("/echo", (req, res) => {
    res.setHeader("content-type", req.headers["content-type"] ?? "application/octet-stream");
    req.pipe(res);
  });
  app.get("/set-cookie", (_req, res) => {
    res.cookie("app", "1", { httpOnly: true }).json({ instance: id });
  });
  function release(): void {
    const waiting = parked;
    parked = [];
    for (const resolve of waiting) resolve();
  }
  const server: Server = app.listen(port, "127.0.0.1");
  await once(server, "listening");
  const actualPort = (server.address() as AddressInfo).port;
  return {
    id,
    port: actualPort,
    origin: `http://127.0.0.1:${actualPort}`,
    hits: () => hits,
    held: () => parked.length,
    setHealthy(value) {
      isHealthy = value;
    },
    release,
    async kill() {
      if (!server.listening) return;
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      release();
      await closed;
    },
  };
}

/** Polls `check` until it returns true or the deadline passes; no fixed sleeps in tests. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
