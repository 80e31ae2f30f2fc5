import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { type LoadOptions, type LoadRun, type Op, runLoad } from "./driver.js";
import { countOutcomes, perInstance } from "./summary.js";

interface TestServer {
  url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  /** performance.now() of every request's arrival. */
  arrivals: number[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const server = createServer((req, res) => {
    arrivals.push(performance.now());
    handler(req, res);
  });
  const arrivals: number[] = [];
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const started: TestServer = {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    arrivals,
    close: async () => {
      // Requests a test left hanging must not keep the server open.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(started);
  return started;
}

function answerOk(_req: IncomingMessage, res: ServerResponse): void {
  res.setHeader("x-instance-id", "a1");
  res.end("ok");
}

function load(url: string, options: Partial<LoadOptions>): Promise<LoadRun> {
  return runLoad({ baseUrl: url, rate: 50, durationMs: 200, next: () => ({ path: "/" }), ...options });
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function indexes(ops: Op[]): number[] {
  return ops.map((op) => op.i);
}

describe("schedule", () => {
  it("200 req/s for 1 s → ~200 requests reach the server over ~1 s, at fixed intended times", async () => {
    const server = await serve(answerOk);
    const run = await load(server.url, { rate: 200, durationMs: 1000 });
    expect(run.ops.length).toBeGreaterThanOrEqual(190);
    expect(run.ops.length).toBeLessThanOrEqual(200);
    expect(countOutcomes(run.ops).ok).toBe(run.ops.length);
    expect(run.ops.slice(0, 3).map((op) => op.t)).toEqual([0, 5, 10]);
    const first = server.arrivals[0] ?? 0;
    const last = server.arrivals.at(-1) ?? 0;
    expect(last - first).toBeGreaterThan(800);
    expect(last - first).toBeLessThan(1300);
  });

  it("maxOps caps the number of ops below rate × duration", async () => {
    const server = await serve(answerOk);
    const run = await load(server.url, { rate: 100, durationMs: 200, maxOps: 7 });
    expect(indexes(run.ops)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("a 500 ms server stall shows in the latency of the requests scheduled behind it (no coordinated omission)", async () => {
    let stallUntil = 0;
    const server = await serve((req, res) => {
      const now = performance.now();
      if (req.url === "/r/10") stallUntil = now + 500;
      setTimeout(() => answerOk(req, res), Math.max(0, stallUntil - now));
    });
    const run = await load(server.url, { rate: 50, durationMs: 1000, next: (i) => ({ path: `/r/${i}` }) });
    expect(countOutcomes(run.ops).ok).toBe(50);
    // Op 10 is due at 200 ms and the server answers nothing before ~700 ms: everything due in
    // 200..440 ms waits at least 260 ms after its intended time, even if sent on time.
    const duringStall = run.ops.filter((op) => op.t >= 200 && op.t <= 440);
    expect(duringStall).toHaveLength(13);
    for (const op of duringStall) expect(op.latencyMs).toBeGreaterThan(200);
    const wellAfter = run.ops.filter((op) => op.t >= 900);
    for (const op of wellAfter) expect(op.latencyMs).toBeLessThan(200);
  });
});

describe("outcomes", () => {
  it("a server that never answers → unknown/timeout, and the run still ends in durationMs + timeoutMs", async () => {
    const server = await serve(() => {});
    const started = performance.now();
    const run = await load(server.url, { rate: 20, durationMs: 300, timeoutMs: 400 });
    expect(performance.now() - started).toBeLessThan(300 + 400 + 500);
    expect(run.ops).toHaveLength(6);
    for (const op of run.ops) {
      expect(op).toMatchObject({ outcome: "unknown", code: "timeout", status: 0, instance: null });
      expect(op.latencyMs).toBeGreaterThanOrEqual(390);
    }
  });

  it("connection refused → fail/ECONNREFUSED", async () => {
    const port = await closedPort();
    const run = await load(`http://127.0.0.1:${port}`, { rate: 20, durationMs: 200 });
    expect(run.ops).toHaveLength(4);
    for (const op of run.ops) expect(op).toMatchObject({ outcome: "fail", code: "ECONNREFUSED", status: 0 });
  });

  it("a connection cut after the request was sent → unknown", async () => {
    const server = await serve((req) => req.socket.destroy());
    const run = await load(server.url, { rate: 20, durationMs: 100 });
    expect(run.ops).toHaveLength(2);
    for (const op of run.ops) expect(op).toMatchObject({ outcome: "unknown", status: 0, instance: null });
    expect(run.ops[0]?.code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
  });

  it("records X-Instance-Id, and a non-2xx answer as fail with the body's error.code", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/down") {
        res.writeHead(503, { "content-type": "application/json", "x-instance-id": "a2" });
        res.end(JSON.stringify({ error: { code: "store_unavailable", message: "Redis is down" } }));
      } else if (req.url === "/missing") {
        res.writeHead(404).end("not json");
      } else {
        answerOk(req, res);
      }
    });
    const paths = ["/", "/down", "/missing"];
    const run = await load(server.url, { rate: 100, durationMs: 90, next: (i) => ({ path: paths[i % 3] ?? "/" }) });
    expect(
      run.ops.slice(0, 3).map(({ status, outcome, instance, code }) => ({ status, outcome, instance, code })),
    ).toEqual([
      { status: 200, outcome: "ok", instance: "a1", code: null },
      { status: 503, outcome: "fail", instance: "a2", code: "store_unavailable" },
      { status: 404, outcome: "fail", instance: null, code: null },
    ]);
    expect(perInstance(run.ops)).toEqual({ a1: 3 });
  });

  it("onResponse sees the answer and can mark a 200 as fail; returning undefined keeps the default", async () => {
    const server = await serve((_req, res) => {
      res.setHeader("set-cookie", ["sl_sid=abc; HttpOnly", "other=1"]);
      res.end('{"user":null}');
    });
    const seen: Array<{ status: number; cookie: unknown; body: string }> = [];
    const run = await load(server.url, {
      rate: 100,
      durationMs: 40,
      next: (i) => ({
        path: "/me",
        onResponse: (res) => {
          seen.push({ status: res.status, cookie: res.headers["set-cookie"], body: res.body });
          return i % 2 === 0 ? "fail" : undefined;
        },
      }),
    });
    expect(run.ops.map((op) => [op.status, op.outcome])).toEqual([
      [200, "fail"],
      [200, "ok"],
      [200, "fail"],
      [200, "ok"],
    ]);
    expect(seen[0]).toEqual({ status: 200, cookie: ["sl_sid=abc; HttpOnly", "other=1"], body: '{"user":null}' });
  });

  it("sends method, headers and body as given, under the baseUrl's path", async () => {
    let received: { method?: string; url?: string; type?: string; body: string } = { body: "" };
    const server = await serve((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        received = { method: req.method, url: req.url, type: req.headers["content-type"], body };
        res.end();
      });
    });
    const spec = { method: "POST", path: "/auth/login", headers: { "content-type": "application/json" }, body: "{}" };
    const run = await load(`${server.url}/api/`, { maxOps: 1, next: () => spec });
    expect(run.ops[0]?.outcome).toBe("ok");
    expect(received).toEqual({ method: "POST", url: "/api/auth/login", type: "application/json", body: "{}" });
  });
});

describe("limits", () => {
  it("requests due while maxInFlight are in flight → fail/overload, not skipped", async () => {
    const server = await serve((req, res) => setTimeout(() => answerOk(req, res), 300));
    const run = await load(server.url, { rate: 100, durationMs: 300, maxInFlight: 5 });
    expect(indexes(run.ops)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const overloaded = run.ops.filter((op) => op.code === "overload");
    expect(overloaded.length).toBeGreaterThanOrEqual(15);
    for (const op of overloaded) expect(op).toMatchObject({ outcome: "fail", status: 0 });
    expect(run.ops.slice(0, 5).every((op) => op.outcome === "ok")).toBe(true);
    expect(countOutcomes(run.ops)).toEqual({ ok: 30 - overloaded.length, fail: overloaded.length, unknown: 0 });
  });

  it("keeps connections alive: 100 requests over far fewer connections", async () => {
    const server = await serve(answerOk);
    const run = await load(server.url, { rate: 200, durationMs: 500 });
    expect(countOutcomes(run.ops).ok).toBe(100);
    expect(server.connections()).toBeLessThan(10);
  });

  it("reads big bodies to the end but keeps 64 KiB, and still reuses the connection", async () => {
    const server = await serve((_req, res) => res.end("x".repeat(200 * 1024)));
    const lengths: number[] = [];
    const run = await load(server.url, {
      maxOps: 4,
      next: () => ({ path: "/", onResponse: ({ body }) => void lengths.push(body.length) }),
    });
    expect(countOutcomes(run.ops).ok).toBe(4);
    expect(lengths).toEqual([65536, 65536, 65536, 65536]);
    expect(server.connections()).toBe(1);
  });

  it("aborting via signal stops early; requests still in flight are unknown/aborted", async () => {
    const server = await serve((req, res) => {
      if (req.url !== "/hold") answerOk(req, res);
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    const run = await load(server.url, {
      rate: 50,
      durationMs: 5000,
      signal: controller.signal,
      next: (i) => ({ path: i === 2 ? "/hold" : "/" }),
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(run.ops.length).toBeGreaterThanOrEqual(10);
    expect(run.ops.length).toBeLessThan(25);
    expect(indexes(run.ops)).toEqual(Array.from({ length: run.ops.length }, (_, i) => i));
    expect(run.ops[2]).toMatchObject({ outcome: "unknown", code: "aborted", status: 0 });
  });

  it("an already aborted signal → no ops", async () => {
    const server = await serve(answerOk);
    const run = await load(server.url, { signal: AbortSignal.abort() });
    expect(run.ops).toEqual([]);
    expect(server.arrivals).toEqual([]);
  });

  it("reports progress about 4 times a second and once at the end", async () => {
    const server = await serve(answerOk);
    const progress: Array<{ sent: number; done: number; total: number }> = [];
    await load(server.url, {
      durationMs: 600,
      onProgress: ({ sent, done, total }) => progress.push({ sent, done, total }),
    });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThanOrEqual(4);
    expect(progress.at(-1)).toEqual({ sent: 30, done: 30, total: 30 });
  });

  it("onOp sees every op as it is recorded, the same ops the run returns", async () => {
    const server = await serve(answerOk);
    const seen: Op[] = [];
    const run = await load(server.url, { durationMs: 300, onOp: (op) => seen.push(op) });
    expect(seen).toHaveLength(15);
    expect([...seen].sort((a, b) => a.i - b.i)).toEqual(run.ops);
  });
});

describe("options and callbacks", () => {
  it.each([
    ["rate 0", { rate: 0 }],
    ["a negative duration", { durationMs: -1 }],
    ["a fractional maxInFlight", { maxInFlight: 1.5 }],
    ["zero connections", { connections: 0 }],
    ["a host off the loopback interface", { baseUrl: "http://192.0.2.1:80" }],
    ["https", { baseUrl: "https://127.0.0.1:443" }],
  ])("rejects %s before sending anything", async (_name, bad) => {
    await expect(load("http://127.0.0.1:9", bad)).rejects.toThrow(RangeError);
  });

  it("a throwing next() stops the run, which rejects with that error", async () => {
    const server = await serve(answerOk);
    const boom = new Error("scenario bug");
    const next = (i: number) => {
      if (i === 3) throw boom;
      return { path: "/" };
    };
    await expect(load(server.url, { durationMs: 2000, next })).rejects.toBe(boom);
    expect(server.arrivals.length).toBeLessThanOrEqual(3);
  });
});
