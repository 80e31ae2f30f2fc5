import { type ChildProcess, execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "@statelab/infra";
import { describe, expect, inject, it } from "vitest";
import { expectRotatingAddressesThrottled } from "../../../tests/support/hostile.js";
import { spawnTsx } from "../../../tests/support/processes.js";

const run = promisify(execFile);
const cliFile = path.join(projectRoot, "apps", "lab", "src", "cli.ts");
const cli = ["--import", "tsx", cliFile];

function statelab(args: string[]) {
  return run(process.execPath, [...cli, ...args], { cwd: projectRoot }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/** Running, as the kernel sees it: a zombie waiting to be reaped is not. */
const isAlive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

/** SIGKILL is delivered asynchronously: wait (bounded) until none of `pids` runs. */
async function survivors(pids: number[]): Promise<number[]> {
  const deadline = Date.now() + 5000;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return pids.filter(isAlive);
}

/** Starts `statelab up` on shifted ports against the suite's Postgres and Redis; resolves with its banner. */
async function startUp(
  args: string[],
): Promise<{ child: ChildProcess; banner: () => string; exited: Promise<number | null> }> {
  const {
    child,
    output: banner,
    exited,
  } = spawnTsx(cliFile, ["up", ...args], {
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: inject("redisUrl"),
  });
  const deadline = Date.now() + 60_000;
  while (!banner().includes("Ctrl-C stops everything")) {
    if (child.exitCode !== null) throw new Error(`statelab up exited ${child.exitCode}:\n${banner()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`statelab up did not come up:\n${banner()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { child, banner, exited };
}

const pidsIn = (banner: string) => [...banner.matchAll(/ pid (\d+)/g)].map((m) => Number(m[1]));

/** The commands printed under "# try the <app> stack", as one bash script. */
function curlsFor(banner: string, app: string): string {
  const block = banner.split(`# try the ${app} stack\n`)[1] ?? "";
  return block
    .split("\n")
    .filter((line) => line.startsWith("curl ") || line.startsWith("TOKEN="))
    .join("\n");
}

describe("statelab CLI", () => {
  it("--help lists the commands and exits 0; bad usage exits 2 with a clear line", async () => {
    const help = await statelab(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/up\b/);
    expect(help.stdout).toMatch(/compare\b/);
    expect(help.stdout).toMatch(/fault\b/);
    const badLb = await statelab(["up", "--lb", "nginx-plus"]);
    expect(badLb.code).toBe(2);
    expect(badLb.stderr).toMatch(/--lb/);
    const badScenario = await statelab(["compare", "--scenario", "no-such-scenario"]);
    expect(badScenario.code).toBe(2);
    expect(badScenario.stderr).toMatch(/unknown scenario no-such-scenario/);
    const list = await statelab(["compare", "--list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^routing\b/m);
  }, 90_000);

  it("statelab up boots both stacks, the printed curls work, and Ctrl-C leaves no process behind", async () => {
    const up = await startUp(["--stateful", "2", "--stateless", "2", "--port-offset", "12000"]);
    const pids = pidsIn(up.banner());
    try {
      expect(pids).toHaveLength(4);
      expect(up.banner()).toContain("http://127.0.0.1:20081"); // 8081 + offset: the stateful proxy
      const stateful = await run("bash", ["-c", curlsFor(up.banner(), "stateful")]);
      expect(stateful.stdout).toMatch(/"auth":\{"kind":"session"/);
      expect(stateful.stdout).toMatch(/x-instance-id: stateful-\d/i);
      const stateless = await run("bash", ["-c", curlsFor(up.banner(), "stateless")]);
      expect(stateless.stdout).toMatch(/"auth":\{"kind":"jwt"/);
      // The lab's instances trust only their proxy's source address: a client claiming new
      // addresses is counted as itself, straight on an instance (4201 + offset) and through the proxy.
      await expectRotatingAddressesThrottled("http://127.0.0.1:16201");
      await expectRotatingAddressesThrottled("http://127.0.0.1:20082");
    } finally {
      up.child.kill("SIGINT");
    }
    expect(await up.exited).toBe(0);
    expect(await survivors(pids)).toEqual([]);
  }, 120_000);

  it("a second Ctrl-C kills what is left at once, and still no process is left behind", async () => {
    const up = await startUp(["--stateful", "1", "--stateless", "1", "--port-offset", "12500"]);
    const pids = pidsIn(up.banner());
    expect(pids).toHaveLength(2);
    // A request that never finishes its headers keeps the graceful shutdown waiting.
    const stuck = net.connect(4101 + 12500, "127.0.0.1", () => stuck.write("GET /me HTTP/1.1\r\nHost: x\r\n"));
    stuck.on("error", () => {});
    await new Promise((resolve) => stuck.once("connect", resolve));
    up.child.kill("SIGINT");
    while (!up.banner().includes("SIGINT: stopping")) await new Promise((resolve) => setTimeout(resolve, 50));
    up.child.kill("SIGINT");
    expect(await up.exited).toBe(1);
    expect(up.banner()).toContain("SIGINT again: killing what is left");
    stuck.destroy();
    expect(await survivors(pids)).toEqual([]);
  }, 120_000);
});
