import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHaproxyConfig } from "./render-haproxy.js";
import type { StrategyName } from "./strategies/index.js";
import { expectClientAddressReplaced, expectOperatorPathsUnrouted, freePort } from "./testing/hostile.js";
import { listenProxy, type RunningProxy } from "./testing/listen.js";
import { startTestBackend, type TestBackend, waitFor } from "./testing/test-backend.js";

const haproxyBin = "/usr/sbin/haproxy";
const hasHaproxy = existsSync(haproxyBin);
if (!hasHaproxy) console.warn(`haproxy.test.ts skipped: ${haproxyBin} is missing (apt-get install haproxy)`);

const health = { healthIntervalMs: 100, healthRise: 1, healthFall: 1 };
let shared: TestBackend[] = [];
let doomed: TestBackend[] = [];
let haproxy: ChildProcess | undefined;
let haproxyLog = "";
let dir = "";
const haproxyUrl: Record<string, string> = {};
const builtIn: Record<string, RunningProxy> = {};

function specs(list: TestBackend[]) {
  return list.map((backend) => ({ id: backend.id, origin: backend.origin, host: "127.0.0.1", port: backend.port }));
}

async function spread(url: string, count: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const res = await request(url).get("/whoami").expect(200);
    const id = String(res.headers["x-instance-id"]);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

function pinOf(setCookie: string[] | string | undefined): string | undefined {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return all.map((cookie) => /^SL_BACKEND=([^;]+)/.exec(cookie)?.[1]).find((value) => value !== undefined);
}

describe.skipIf(!hasHaproxy)("real HAProxy and the built-in proxy behave alike", () => {
  beforeAll(async () => {
    shared = await Promise.all(["h1", "h2", "h3"].map((id) => startTestBackend(id)));
    doomed = await Promise.all(["d1", "d2"].map((id) => startTestBackend(id)));
    const deadPort = await freePort();
    const frontends: { name: string; strategy: StrategyName; list: ReturnType<typeof specs> }[] = [
      { name: "rr", strategy: "round-robin", list: specs(shared) },
      { name: "sticky", strategy: "sticky-cookie", list: specs(shared) },
      { name: "repin", strategy: "sticky-cookie", list: specs(doomed) },
      {
        name: "dead",
        strategy: "round-robin",
        list: [{ id: "x1", origin: `http://127.0.0.1:${deadPort}`, host: "127.0.0.1", port: deadPort }],
      },
    ];
    const rendered = await Promise.all(
      frontends.map(async (frontend) => ({
        name: frontend.name,
        host: "127.0.0.1",
        port: await freePort(),
        strategy: frontend.strategy,
        backends: frontend.list,
      })),
    );
    dir = mkdtempSync(path.join(tmpdir(), "statelab-haproxy-"));
    const configFile = path.join(dir, "haproxy.cfg");
    writeFileSync(
      configFile,
      renderHaproxyConfig({ frontends: rendered, ...health, upstreamTimeoutMs: 5_000, sourceAddress: "127.0.0.2" }),
    );
    haproxy = spawn(haproxyBin, ["-f", configFile, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
    haproxy.stdout?.on("data", (chunk) => {
      haproxyLog += chunk;
    });
    haproxy.stderr?.on("data", (chunk) => {
      haproxyLog += chunk;
    });
    for (const frontend of rendered) {
      haproxyUrl[frontend.name] = `http://127.0.0.1:${frontend.port}`;
      builtIn[frontend.name] = await listenProxy({
        backends: frontend.backends,
        strategy: frontend.strategy,
        ...health,
        sourceAddress: "127.0.0.2",
      });
    }
    await waitFor(
      async () => {
        if (haproxy?.exitCode !== null) throw new Error(`haproxy exited: ${haproxyLog}`);
        try {
          return (await request(haproxyUrl.rr as string).get("/whoami")).status === 200;
        } catch {
          return false;
        }
      },
      15_000,
      "haproxy to listen",
    );
  });

  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((resolve) => haproxy?.once("exit", resolve));
      haproxy.kill("SIGTERM");
      await exited;
    }
    await Promise.all(Object.values(builtIn).map((proxy) => proxy.stop()));
    await Promise.all([...shared, ...doomed].map((backend) => backend.kill()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const via of ["haproxy", "built-in"] as const) {
    const urlOf = (name: string) => (via === "haproxy" ? haproxyUrl[name] : builtIn[name]?.url) as string;

    it(`${via}: round robin spreads 30 requests over 3 backends within ±1`, async () => {
      const counts = await spread(urlOf("rr"), 30);
      expect([...counts.keys()].sort()).toEqual(["h1", "h2", "h3"]);
      for (const count of counts.values()) expect(Math.abs(count - 10)).toBeLessThanOrEqual(1);
    });

    it(`${via}: sticky cookie pins, is not re-sent when right, and never reaches the backend`, async () => {
      const first = await request(urlOf("sticky")).get("/whoami").expect(200);
      const pinned = pinOf(first.headers["set-cookie"]);
      expect(pinned).toBe(first.headers["x-instance-id"]);
      expect(String(first.headers["set-cookie"])).toMatch(/HttpOnly/i);
      expect(String(first.headers["set-cookie"])).toMatch(/SameSite=Lax/);
      for (let i = 0; i < 5; i++) {
        const res = await request(urlOf("sticky"))
          .get("/whoami")
          .set("Cookie", `SL_BACKEND=${pinned}; a=1`)
          .expect(200);
        expect(res.headers["x-instance-id"]).toBe(pinned);
        expect(pinOf(res.headers["set-cookie"])).toBeUndefined();
        expect(String(res.body.headers.cookie)).not.toContain("SL_BACKEND");
      }
    });

    it(`${via}: passes X-Instance-Id, sets X-Request-Id and X-Forwarded-For`, async () => {
      const res = await request(urlOf("rr")).get("/whoami").set("X-Request-Id", "trace-42").expect(200);
      expect(res.headers["x-instance-id"]).toMatch(/^h[123]$/);
      expect(res.headers["x-request-id"]).toBe("trace-42");
      expect(res.body.headers["x-request-id"]).toBe("trace-42");
      expect(res.body.headers["x-forwarded-for"]).toBe("127.0.0.1");
      expect(res.body.headers["x-forwarded-proto"]).toBe("http");
    });

    it(`${via}: no backend up → 503 with the same JSON error`, async () => {
      const res = await request(urlOf("dead")).get("/whoami").expect(503);
      expect(res.body.error.code).toBe("no_healthy_backend");
      const ready = await request(urlOf("dead")).get("/readyz").expect(503);
      expect(ready.body.error.code).toBe("no_healthy_backend");
    });

    it(`${via}: replaces a client's X-Forwarded-For, Forwarded and X-Real-IP with the peer, connecting from 127.0.0.2 (A5)`, async () => {
      await expectClientAddressReplaced(urlOf("rr"), "127.0.0.2");
    });

    it(`${via}: answers /metrics, /lease (404) and /readyz itself in every spelling; no backend sees them (H5)`, async () => {
      await expectOperatorPathsUnrouted(urlOf("rr"), shared);
      for (const path of ["/readyz", "/ReadyZ/"]) {
        const res = await request(urlOf("rr")).get(path).expect(200);
        expect(res.body, path).toEqual({ status: "ready" });
      }
    });
  }

  it("both re-pin a sticky client when its backend dies", async () => {
    await doomed[0]?.kill();
    for (const url of [haproxyUrl.repin as string, builtIn.repin?.url as string]) {
      const res = await request(url).get("/whoami").set("Cookie", "SL_BACKEND=d1").expect(200);
      expect(res.headers["x-instance-id"]).toBe("d2");
      expect(pinOf(res.headers["set-cookie"])).toBe("d2");
    }
  });
});
