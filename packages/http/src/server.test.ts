import net from "node:net";
import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createHttpApp } from "./app.js";
import { createLogger } from "./logger.js";
import { serve } from "./server.js";

const logger = createLogger({ name: "test", instanceId: "t1", level: "silent" });

/** Sends raw bytes and returns the raw response (for what HTTP clients refuse to send). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(text));
    let out = "";
    socket.on("data", (d) => {
      out += d;
    });
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

describe("serve()", () => {
  it("a 20 KB Cookie header → 431 with the JSON error shape (H4)", async () => {
    const running = await serve(createHttpApp({ instanceId: "t1", logger, readiness: {} }, express.Router()), {
      port: 0,
      logger,
    });
    try {
      const response = await raw(
        running.port,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: a=${"x".repeat(20_000)}\r\n\r\n`,
      );
      expect(response).toMatch(/^HTTP\/1\.1 431 /);
      expect(response).toContain('{"error":{"code":"header_too_large"');
      const garbage = await raw(running.port, "NOT HTTP AT ALL\r\n\r\n");
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect(garbage).toContain('"code":"invalid_request"');
      // Still serving.
      await request(running.url).get("/healthz").expect(200);
    } finally {
      await running.close();
    }
  });

  it("close() lets an in-flight request finish, refuses new connections, then runs onClose", async () => {
    const events: string[] = [];
    const router = express.Router();
    router.get("/slow", async (_req, res) => {
      await new Promise((r) => setTimeout(r, 300));
      events.push("slow done");
      res.json({ ok: true });
    });
    const running = await serve(
      createHttpApp({ instanceId: "t1", logger, readiness: {}, logRequests: false }, router),
      {
        port: 0,
        logger,
        onClose: async () => {
          events.push("onClose");
        },
      },
    );
    const slow = request(running.url)
      .get("/slow")
      .then((res) => res.status);
    await new Promise((r) => setTimeout(r, 50));
    const closed = running.close();
    await expect(slow).resolves.toBe(200);
    await closed;
    expect(events).toEqual(["slow done", "onClose"]);
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it("shutdownTimeoutMs cuts a request that never finishes", async () => {
    const router = express.Router();
    router.get("/hang", () => {});
    const running = await serve(
      createHttpApp({ instanceId: "t1", logger, readiness: {}, logRequests: false }, router),
      {
        port: 0,
        logger,
        shutdownTimeoutMs: 200,
      },
    );
    const hung = request(running.url)
      .get("/hang")
      .then(
        () => "answered",
        () => "cut",
      );
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await running.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(hung).resolves.toBe("cut");
  });
});

describe("/readyz", () => {
  it("200 when every check answers; 503 not_ready naming the one that failed or hung", async () => {
    const ok = createHttpApp({ instanceId: "t1", logger, readiness: { db: async () => 1 } }, express.Router());
    expect((await request(ok).get("/readyz").expect(200)).body).toEqual({ status: "ready", checks: { db: "ok" } });

    const failing = createHttpApp(
      {
        instanceId: "t1",
        logger,
        readiness: {
          db: async () => 1,
          redis: () => Promise.reject(new Error("ECONNREFUSED")),
          slow: () => new Promise(() => {}),
        },
      },
      express.Router(),
    );
    const started = Date.now();
    const res = await request(failing).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe("not_ready");
    expect(res.body.checks).toEqual({
      db: "ok",
      redis: "down: ECONNREFUSED",
      slow: expect.stringMatching(/^down: no answer/),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    await request(failing).get("/healthz").expect(200);
  });
});
