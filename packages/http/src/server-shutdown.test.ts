import http from "node:http";
import net from "node:net";
import { Router } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpApp } from "./app.js";
import { createLogger } from "./logger.js";
import { type RunningServer, type ServeOptions, serve } from "./server.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function shutdownApp(events: string[]) {
  const routes = Router();
  routes.get("/slow", async (_req, res) => {
    events.push("slow started");
    await sleep(300);
    events.push("slow done");
    res.json({ ok: true });
  });
  routes.get("/hang", () => {
    events.push("hang started");
  });
  routes.get("/fast", (_req, res) => {
    res.json({ ok: true });
  });
  routes.get("/stream", async (_req, res) => {
    // Headers and a first chunk go out before close() is called.
    res.setHeader("Content-Type", "text/plain");
    res.write("first ");
    events.push("stream started");
    await sleep(300);
    res.end("last");
  });
  return createHttpApp({ instanceId: "s1", logger, readiness: {}, logRequests: false }, routes);
}

/** Every server a test starts, so none outlives a failed assertion. */
const started: RunningServer[] = [];
async function start(events: string[], options: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const running = await serve(shutdownApp(events), { port: 0, logger, ...options });
  started.push(running);
  return running;
}
afterEach(async () => {
  await Promise.allSettled(started.splice(0).map((running) => running.close()));
});

function get(
  url: string,
  agent: http.Agent | false = false,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** Resolves with the connect error code, or "connected". */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
  });
}

/** "settled" if the promise settles within ms, else "pending": a bound, not a speed measurement. */
function within(promise: Promise<unknown>, ms: number): Promise<"settled" | "pending"> {
  return Promise.race([
    promise.then(
      () => "settled" as const,
      () => "settled" as const,
    ),
    sleep(ms).then(() => "pending" as const),
  ]);
}

describe("serve()", () => {
  it("listens on loopback at an OS-chosen port when given port 0, and reports its url", async () => {
    const running = await start([]);
    expect(running.port).toBeGreaterThan(0);
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect((await get(`${running.url}/fast`)).status).toBe(200);
  });

  it("on an IPv6 host → a usable url with the address in brackets", async () => {
    const running = await start([], { host: "::1" });
    expect(running.url).toBe(`http://[::1]:${running.port}`);
    expect((await get(`${running.url}/fast`)).status).toBe(200);
  });

  it("a port already in use → serve() rejects with EADDRINUSE", async () => {
    const first = await start([]);
    await expect(serve(shutdownApp([]), { port: first.port, logger })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});

describe("close()", () => {
  it("an in-flight request finishes with 200, new connections are refused, then onClose runs", async () => {
    const events: string[] = [];
    const running = await start(events, {
      onClose: async () => {
        events.push("onClose");
      },
    });
    const slow = get(`${running.url}/slow`);
    while (!events.includes("slow started")) await sleep(5);

    const closed = running.close().then(() => events.push("closed"));
    // Refused while the slow request is still running, not only after close() resolved.
    expect(await tryConnect(running.port)).toBe("ECONNREFUSED");
    expect(events).not.toContain("onClose");

    const res = await slow;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ ok: true });
    await closed;
    expect(events).toEqual(["slow started", "slow done", "onClose", "closed"]);
    expect(await tryConnect(running.port)).toBe("ECONNREFUSED");
  });

  it("an in-flight request on a keep-alive connection → answered, then the connection closes without waiting for the timeout", async () => {
    const events: string[] = [];
    const running = await start(events, { shutdownTimeoutMs: 30_000 });
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect((await get(`${running.url}/fast`, agent)).status).toBe(200);
      const slow = get(`${running.url}/slow`, agent);
      while (!events.includes("slow started")) await sleep(5);
      const closed = running.close();
      const res = await slow;
      expect(res.status).toBe(200);
      // Tells the client (e.g. the proxy) not to send another request on this connection.
      expect(res.headers.connection).toBe("close");
      expect(await within(closed, 5_000)).toBe("settled");
    } finally {
      agent.destroy();
    }
  });

  it("a streaming response already under way on a keep-alive connection → completed, then close() settles before the timeout", async () => {
    const events: string[] = [];
    const running = await start(events, { shutdownTimeoutMs: 30_000 });
    const agent = new http.Agent({ keepAlive: true });
    try {
      const stream = get(`${running.url}/stream`, agent);
      while (!events.includes("stream started")) await sleep(5);
      const closed = running.close();
      const res = await stream;
      expect(res.status).toBe(200);
      expect(res.text).toBe("first last");
      expect(await within(closed, 5_000)).toBe("settled");
    } finally {
      agent.destroy();
    }
  });

  it("an idle keep-alive connection does not hold close() until the timeout", async () => {
    const running = await start([], { shutdownTimeoutMs: 30_000 });
    const agent = new http.Agent({ keepAlive: true });
    try {
      expect((await get(`${running.url}/fast`, agent)).status).toBe(200);
      expect(await within(running.close(), 5_000)).toBe("settled");
    } finally {
      agent.destroy();
    }
  });

  it("shutdownTimeoutMs cuts a request that never finishes; onClose still runs", async () => {
    const events: string[] = [];
    const running = await start(events, {
      shutdownTimeoutMs: 200,
      onClose: async () => {
        events.push("onClose");
      },
    });
    const hung = get(`${running.url}/hang`).then(
      () => "answered",
      (error: NodeJS.ErrnoException) => `cut: ${error.code ?? error.message}`,
    );
    while (!events.includes("hang started")) await sleep(5);
    expect(await within(running.close(), 10_000)).toBe("settled");
    expect(await hung).toMatch(/^cut: /);
    expect(events).toEqual(["hang started", "onClose"]);
  });

  it("close() twice → the same shutdown; onClose runs once", async () => {
    let onCloseRuns = 0;
    const running = await start([], {
      onClose: async () => {
        onCloseRuns += 1;
      },
    });
    const first = running.close();
    const second = running.close();
    expect(second).toBe(first);
    await first;
    await running.close();
    expect(onCloseRuns).toBe(1);
  });

  it("an onClose that fails → close() rejects with its error (so the entry file can exit non-zero)", async () => {
    const running = await start([], {
      onClose: async () => {
        throw new Error("pool.end failed");
      },
    });
    await expect(running.close()).rejects.toThrow("pool.end failed");
  });
});
