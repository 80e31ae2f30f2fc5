import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInfraConfig, projectRoot } from "./config.js";
import { InfraError } from "./errors.js";
import { infraStatus, startInfra, stopInfra } from "./infra.js";
import { startPostgres } from "./postgres.js";
import { pingRedis, startRedis } from "./redis.js";
import { isProcessAlive } from "./system.js";

// Own state dirs and ports: the suite's shared servers are never touched.
const dirs: string[] = [];
const tempState = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "statelab-infra-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const lines: string[] = [];
const log = (line: string) => lines.push(line);

describe("redis lifecycle", () => {
  it("a second start reuses the running server; stop stops it", async () => {
    const stateDir = tempState();
    const first = await startRedis({ stateDir, port: 63831, log });
    try {
      expect(first.startedHere).toBe(true);
      const second = await startRedis({ stateDir, port: 63831, log });
      expect(second).toMatchObject({ startedHere: false, pid: first.pid, url: "redis://127.0.0.1:63831" });
    } finally {
      await first.stop();
    }
    expect(isProcessAlive(first.pid as number)).toBe(false);
    expect(await pingRedis(63831)).toBe(false);
  });

  it("a port held by another process → one clear InfraError, nothing started", async () => {
    const blocker = net.createServer().listen(63832, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    try {
      const error = await startRedis({ stateDir: tempState(), port: 63832, log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfraError);
      expect((error as Error).message).toMatch(/port 63832 is in use by another process.*REDIS_PORT/);
    } finally {
      blocker.close();
    }
  });

  it("a stale pid file is reported, removed and replaced", async () => {
    const stateDir = tempState();
    mkdirSync(path.join(stateDir, "redis"), { recursive: true });
    writeFileSync(path.join(stateDir, "redis", "redis.pid"), "999999");
    lines.length = 0;
    const redis = await startRedis({ stateDir, port: 63833, log });
    try {
      expect(lines.some((l) => /stale pid file/.test(l))).toBe(true);
      expect(redis.startedHere).toBe(true);
    } finally {
      await redis.stop();
    }
  });
});

describe("postgres lifecycle", () => {
  it("initdb once, reuse on a second start, and a clear error for another port on the same cluster", async () => {
    const stateDir = tempState();
    const first = await startPostgres({ stateDir, port: 54361, database: "lab", fast: true, log });
    try {
      const second = await startPostgres({ stateDir, port: 54361, database: "lab", fast: true, log });
      expect(second).toMatchObject({ startedHere: false, pid: first.pid });
      await expect(startPostgres({ stateDir, port: 54362, database: "lab", log })).rejects.toThrow(
        /already runs on port 54361/,
      );
    } finally {
      await first.stop();
    }
    expect(isProcessAlive(first.pid as number)).toBe(false);
  }, 60_000);
});

describe("startInfra / stopInfra", () => {
  it("with DATABASE_URL and REDIS_URL starts nothing and stops nothing", async () => {
    const config = loadInfraConfig({
      STATELAB_HOME: tempState(),
      DATABASE_URL: "postgres://elsewhere:5432/db",
      REDIS_URL: "redis://elsewhere:6379",
    });
    const infra = await startInfra(config, { log });
    expect(infra.services.every((s) => !s.startedHere)).toBe(true);
    expect(infra.databaseUrl).toBe("postgres://elsewhere:5432/db");
    await expect(stopInfra(config, log)).resolves.toBe(0);
    expect((await infraStatus(config)).map((s) => s.state)).toEqual(["external", "external"]);
  });
});

describe("the `run` command (npm start)", () => {
  it("starts both servers, and SIGINT stops them with no process left behind", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STATELAB_HOME: tempState(),
      PG_PORT: "54363",
      REDIS_PORT: "63834",
    };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(projectRoot, "packages/infra/src/cli.ts"), "run"],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const deadline = Date.now() + 60_000;
    while (!output.includes("Running.") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain("DATABASE_URL=postgres://postgres@127.0.0.1:54363/statelab");
    expect(output).toContain("REDIS_URL=redis://127.0.0.1:63834");
    const pids = [...output.matchAll(/started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    expect(await pingRedis(63834)).toBe(false);
  }, 90_000);
});
