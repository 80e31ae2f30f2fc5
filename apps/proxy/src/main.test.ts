import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedProcess, spawnTsx } from "../../../tests/support/processes.js";
import { startTestBackend, type TestBackend, waitFor } from "./testing/test-backend.js";

// src/main.ts as a real process: the only code that reads argv and env and picks the log level.
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

type Started = SpawnedProcess;

const startMain = (args: string[], env: Record<string, string>): Started => spawnTsx(MAIN, args, env);

/** A port the kernel handed out and nobody holds now (the admin listener needs a number up front). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const running: Started[] = [];
let backends: TestBackend[] = [];
let blocker: Server;

beforeAll(async () => {
  backends = await Promise.all(["m1", "m2", "other"].map((id) => startTestBackend(id)));
  // A port that is taken: env pointing here would make the proxy fail to listen.
  blocker = createServer().listen(0, "127.0.0.1");
  await once(blocker, "listening");
});
afterEach(async () => {
  for (const started of running.splice(0)) {
    if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill("SIGKILL");
    await started.exited;
  }
});
afterAll(async () => {
  blocker.close();
  await Promise.all(backends.map((backend) => backend.kill()));
});

const hermeticBackend = () => (backends[0] as TestBackend).origin;

async function stop(started: Started): Promise<number | null> {
  started.child.kill("SIGTERM");
  return started.exited;
}

describe("src/main.ts command-line flags", () => {
  it("--strategy, --port and --backends override PROXY_STRATEGY, PROXY_PORT and PROXY_BACKENDS", async () => {
    const [m1, m2, other] = backends as [TestBackend, TestBackend, TestBackend];
    const adminPort = await freePort();
    const started = startMain(
      ["--strategy", "round-robin", "--port", "0", "--backends", `m1=${m1.origin},m2=${m2.origin}`],
      {
        PROXY_STRATEGY: "sticky-cookie",
        PROXY_PORT: String((blocker.address() as { port: number }).port),
        PROXY_BACKENDS: `other=${other.origin}`,
        PROXY_ADMIN_PORT: String(adminPort),
        PROXY_HEALTH_INTERVAL_MS: "100",
        LOG_LEVEL: "info",
      },
    );
    running.push(started);
    // --port 0: the kernel's port, which the "proxy listening" line names.
    let url = "";
    await waitFor(
      () => {
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(started.output())?.[1] ?? "";
        return url !== "" || started.child.exitCode !== null;
      },
      20_000,
      "the proxy listening",
    );
    expect(url, started.output()).not.toBe("");

    const admin = await request(`http://127.0.0.1:${adminPort}`).get("/backends").expect(200);
    expect(admin.body.strategy).toBe("round-robin");
    expect(admin.body.backends.map((backend: { id: string }) => backend.id)).toEqual(["m1", "m2"]);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++)
      seen.push(String((await request(url).get("/whoami").expect(200)).headers["x-instance-id"]));
    expect(new Set(seen)).toEqual(new Set(["m1", "m2"]));
    expect(await stop(started)).toBe(0);
  });

  it("LOG_LEVEL=warn: no info lines (the benchmark's setting)", async () => {
    const adminPort = await freePort();
    const started = startMain(["--port", "0", "--backends", (backends[0] as TestBackend).origin], {
      PROXY_ADMIN_PORT: String(adminPort),
      LOG_LEVEL: "warn",
    });
    running.push(started);
    await waitFor(
      () =>
        request(`http://127.0.0.1:${adminPort}`)
          .get("/healthz")
          .then(
            (res) => res.status === 200,
            () => false,
          ),
      20_000,
      "the admin API",
    );
    expect(await stop(started)).toBe(0);
    // "proxy listening", "stopping" and "stopped" are all info: none may appear.
    expect(started.output()).not.toMatch(/"level":30|proxy listening|stopping/);
  });

  it.each([
    ["an unknown flag", ["--strategi", "round-robin"], /--strategi/],
    ["a flag without its value", ["--strategy"], /--strategy/],
    ["a stray argument", ["round-robin"], /round-robin/],
    ["an unknown strategy", ["--strategy", "random"], /--strategy must be one of/],
    ["a port out of range", ["--port", "70000"], /--port must be an integer/],
    ["a bad backend list", ["--backends", "ftp://x"], /--backends:/],
  ])("%s → exit 2 with one line naming it", async (_what, args, pattern) => {
    // Hermetic even if the flags were ignored: ephemeral ports, a backend of this file's.
    const started = startMain(args, { PROXY_PORT: "0", PROXY_ADMIN_PORT: "0", PROXY_BACKENDS: hermeticBackend() });
    running.push(started);
    expect(await started.exited).toBe(2);
    const lines = started.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^statelab-proxy: /);
    expect(lines[0]).toMatch(pattern);
  });

  it("a bad LOG_LEVEL in the environment → exit 1 (not a usage error) with one line naming it", async () => {
    const started = startMain([], {
      LOG_LEVEL: "loud",
      PROXY_PORT: "0",
      PROXY_ADMIN_PORT: "0",
      PROXY_BACKENDS: hermeticBackend(),
    });
    running.push(started);
    expect(await started.exited).toBe(1);
    const lines = started.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^statelab-proxy: .*LOG_LEVEL/);
  });
});
