import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "@statelab/infra";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type SpawnedProcess, spawnTsx } from "../../../../../tests/support/processes.js";
import { freePort } from "../../stack/stack.js";
import { LabUser } from "../../stack/users.js";
import type { Snapshot } from "./dashboard.js";

const run = promisify(execFile);
const cliFile = path.join(projectRoot, "apps", "lab", "src", "cli.ts");
/** Debian's chromium, driven through playwright-core: no test ever downloads a browser. */
const chromiumPath = "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** The screenshots this test leaves behind (git-ignored). */
const artifactsDir = path.join(projectRoot, "reports", "dashboard-e2e");

let up: SpawnedProcess;
let dashboardUrl: string;
let home: string;

/** Running, as the kernel sees it: a zombie waiting to be reaped is not. */
const isAlive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

async function until<T>(what: string, read: () => Promise<T>, isDone: (value: T) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined);
    if (last !== undefined && isDone(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}

/** Every snapshot seen while `work` runs and until `isDone` holds for one taken after it. */
async function observe<T>(work: Promise<T>, isDone: (s: Snapshot) => boolean, timeoutMs: number) {
  const seen: Snapshot[] = [];
  let result: T | undefined;
  let isSettled = false;
  void work.then((value) => {
    result = value;
    isSettled = true;
  });
  await until(
    "the fault and its undo",
    async () => {
      const snapshot = await state();
      seen.push(snapshot);
      return isSettled && isDone(snapshot);
    },
    (done) => done,
    timeoutMs,
  );
  return { result: result as T, seen };
}

const state = async () => (await (await fetch(`${dashboardUrl}/api/state`)).json()) as Snapshot;
const instance = (snapshot: Snapshot, id: string) =>
  snapshot.stacks.flatMap((stack) => stack.instances).find((i) => i.id === id);

function statelab(args: string[]) {
  return run(process.execPath, ["--import", "tsx", cliFile, ...args], { cwd: projectRoot }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

// One lab for the whole file: every port from the kernel, the suite's Postgres, and a Redis
// of its own (the tests stop it).
beforeAll(async () => {
  home = mkdtempSync(path.join(projectRoot, ".statelab", "dashboard-test-"));
  up = spawnTsx(cliFile, ["up", "--free-ports"], {
    DATABASE_URL: inject("databaseUrl"),
    REDIS_PORT: String(await freePort()),
    STATELAB_HOME: home,
    STATELAB_NO_INSTALL: "1",
  });
  await until(
    "statelab up's banner",
    async () => up.output(),
    (out) => out.includes("Ctrl-C stops") || up.child.exitCode !== null,
    150_000,
  );
  const match = /^dashboard (http:\/\/127\.0\.0\.1:\d+)/m.exec(up.output());
  if (!match?.[1]) throw new Error(`no dashboard line in:\n${up.output()}`);
  dashboardUrl = match[1];
}, 180_000);

afterAll(async () => {
  try {
    if (up?.child.exitCode !== null) return;
    const pids = (await state().catch(() => null))?.stacks.flatMap((s) => s.instances.map((i) => i.pid)) ?? [];
    up.child.kill("SIGINT");
    expect(await up.exited).toBe(0);
    const left = () => Promise.resolve(pids.filter((pid) => pid !== null && isAlive(pid)));
    await until("no instance left", left, (alive) => alive.length === 0, 5_000);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}, 60_000);

describe("the dashboard in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(chromiumPath))
      throw new Error(`${chromiumPath} is missing: apt-get install chromium (.ci/run does)`);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows 6 healthy instances; under traffic, a kill from the page turns one unhealthy with a fault marker, and a restart brings it back", async () => {
    mkdirSync(artifactsDir, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(dashboardUrl);
    const healthy = page.locator('tr[data-instance][data-health="up"]');
    await until(
      "6 healthy instances",
      () => healthy.count(),
      (n) => n === 6,
      30_000,
    );

    await page.getByLabel("Virtual users per stack").fill("5");
    // From the keyboard: Enter in the form starts the traffic.
    await page.getByLabel("Seconds (at most 300)").fill("90");
    await page.getByLabel("Seconds (at most 300)").press("Enter");
    const totals = page.locator('[data-chart="stateless"] [data-role="totals"]');
    await until(
      "ok requests on the chart",
      () => totals.textContent(),
      (text) => /\b[1-9]\d* ok\b/.test(text ?? ""),
      60_000,
    );

    await page.getByRole("button", { name: "Kill stateless-2" }).click();
    const victim = page.locator('tr[data-instance="stateless-2"]');
    await until(
      "stateless-2 unhealthy",
      () => victim.getAttribute("data-health"),
      (h) => h === "down",
      20_000,
    );
    await until(
      "the other 5 still healthy",
      () => healthy.count(),
      (n) => n === 5,
      10_000,
    );
    const marker = page.locator('#fault-log li[data-fault-kind="kill"][data-fault-target="stateless-2"]');
    await until(
      "the kill's fault marker",
      () => marker.count(),
      (n) => n === 1,
      10_000,
    );
    expect(await marker.textContent()).toMatch(/kill -9 stateless-2 \(pid \d+\)/);
    // Let the charts draw a few seconds past the kill.
    await page.waitForTimeout(3000);
    await page.screenshot({ path: path.join(artifactsDir, "killed.png"), fullPage: true });

    await page.getByRole("button", { name: "Restart stateless-2" }).click();
    await until(
      "stateless-2 healthy again",
      () => victim.getAttribute("data-health"),
      (h) => h === "up",
      60_000,
    );
    await until(
      "6 healthy instances again",
      () => healthy.count(),
      (n) => n === 6,
      10_000,
    );
    await page.waitForTimeout(3000);
    await page.screenshot({ path: path.join(artifactsDir, "recovered.png"), fullPage: true });
    expect(await page.locator('#fault-log li[data-fault-kind="restart"]').count()).toBe(1);
    await page.getByRole("button", { name: "Stop traffic" }).click();
    await until(
      "traffic idle",
      () => page.locator("#traffic-state").getAttribute("data-state"),
      (s) => s === "idle",
      20_000,
    );
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 240_000);
});

describe("statelab fault against the running lab", () => {
  it("the lease panel names the one holder of the login-stats lease and its fencing token", async () => {
    // Every instance contends for one lease; a fresh Redis makes the first holder wait one ttl (15 s).
    const panel = await until(
      "a lease holder",
      async () => (await (await fetch(`${dashboardUrl}/api/panels/lease`)).json()) as Record<string, unknown>,
      (body) => body.status === "ok" && (body.leases as { holder: string | null }[]).some((l) => l.holder !== null),
      60_000,
    );
    const lease = (panel.leases as { name: string; holder: string; token: number; contenders: number }[])[0];
    expect(lease?.name).toBe("login-stats");
    expect(lease?.holder).toMatch(/^state(ful|less)-\d$/);
    expect(lease?.token).toBeGreaterThan(0);
    expect(lease?.contenders).toBe(6);
    expect(panel.summary).toContain(`held by ${lease?.holder} with fencing token ${lease?.token}`);
  }, 90_000);

  it("kill --for 3s: the instance dies, then comes back by itself with a new pid", async () => {
    const before = instance(await state(), "stateful-2");
    expect(before?.process).toBe("running");
    const kill = await statelab(["fault", "kill", "stateful-2", "--for", "3s", "--url", dashboardUrl]);
    expect(kill.code).toBe(0);
    expect(kill.stdout).toMatch(/kill -9 stateful-2 \(pid \d+\); undone by itself at/);
    expect(instance(await state(), "stateful-2")?.process).toBe("down");
    const back = await until(
      "stateful-2 running and healthy again",
      state,
      (s) => instance(s, "stateful-2")?.process === "running" && instance(s, "stateful-2")?.health === "up",
      60_000,
    );
    expect(instance(back, "stateful-2")?.pid).not.toBe(before?.pid);
    const undo = back.faults.find((f) => f.undoOf !== null && f.target === "stateful-2");
    expect(undo).toMatchObject({ kind: "restart", stack: "stateful" });
  }, 90_000);

  it("strategy --for switches the proxy and switches it back by itself", async () => {
    const strategyOf = (s: Snapshot) => s.stacks.find((stack) => stack.label === "stateless")?.strategy;
    const { result, seen } = await observe(
      statelab(["fault", "strategy", "stateless", "least-connections", "--for", "3s", "--url", dashboardUrl]),
      (s) => strategyOf(s) === "round-robin" && s.faults.some((f) => f.kind === "strategy" && f.undoOf !== null),
      60_000,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/round-robin → least-connections/);
    expect(seen.map(strategyOf)).toContain("least-connections");
    const undo = seen.at(-1)?.faults.find((f) => f.kind === "strategy" && f.undoOf !== null);
    expect(undo).toMatchObject({ target: "stateless", value: "round-robin", stack: "stateless" });
  }, 90_000);

  it("stop redis --for 3s: the soft-state panel loses Redis, then Redis is started again by itself", async () => {
    const redisOf = (s: Snapshot) => s.servers.find((server) => server.name === "redis")?.state;
    const { result, seen } = await observe(
      statelab(["fault", "stop", "redis", "--for", "3s", "--url", dashboardUrl]),
      (s) =>
        redisOf(s) === "up" &&
        s.softState.status === "ok" &&
        s.faults.some((f) => f.target === "redis" && f.undoOf !== null),
      60_000,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/redis stopped; undone by itself at/);
    const down = seen.filter((s) => redisOf(s) === "stopped");
    expect(down.length).toBeGreaterThan(0);
    expect(down.every((s) => s.softState.status === "unreachable")).toBe(true);
  }, 90_000);

  it("restart proxy-stateless: the proxy comes back on its port", async () => {
    const restarted = await statelab(["fault", "restart", "proxy-stateless", "--url", dashboardUrl]);
    expect(restarted.code).toBe(0);
    expect(restarted.stdout).toMatch(/restarted proxy-stateless \(pid \d+\)/);
    const s = await state();
    expect(s.stacks.find((stack) => stack.label === "stateless")?.proxy.process).toBe("running");
  }, 90_000);

  it("store memory: the stateful instances restart one by one with SESSION_STORE=memory, then back to redis", async () => {
    const statefulOf = (s: Snapshot) => s.stacks.find((stack) => stack.label === "stateful");
    const before = statefulOf(await state())?.instances.map((i) => i.pid) ?? [];
    const toMemory = await statelab(["fault", "store", "stateful", "memory", "--url", dashboardUrl]);
    expect(toMemory.code).toBe(0);
    expect(toMemory.stdout).toMatch(/SESSION_STORE redis → memory/);
    const switched = statefulOf(await state());
    expect(switched?.store).toBe("memory");
    for (const i of switched?.instances ?? []) {
      expect(i.process).toBe("running");
      expect(before).not.toContain(i.pid);
    }
    // A session now lives in one process; the sticky cookie keeps its user there.
    const user = new LabUser("cookie", `mem_${Date.now().toString(36)}`, "lab-password-1");
    const stackUrl = switched?.url as string;
    expect((await user.signup(stackUrl)).status).toBe(201);
    await user.login(stackUrl);
    expect((await user.call(stackUrl, "GET", "/me")).status).toBe(200);
    const back = await statelab(["fault", "store", "stateful", "redis", "--url", dashboardUrl]);
    expect(back.code).toBe(0);
    expect(statefulOf(await state())?.store).toBe("redis");
  }, 240_000);

  it("usage errors exit 2, a lab that is not there exits 1, Postgres given by URL is not the lab's to stop", async () => {
    const nobodyUrl = `http://127.0.0.1:${await freePort()}`;
    const [missing, badKind, badFor, unknown, noStore, external, nobody] = await Promise.all([
      statelab(["fault", "kill"]),
      statelab(["fault", "explode", "stateful-1", "--url", dashboardUrl]),
      statelab(["fault", "kill", "stateful-1", "--for", "soon", "--url", dashboardUrl]),
      statelab(["fault", "pause", "stateful-9", "--url", dashboardUrl]),
      statelab(["fault", "store", "stateless", "memory", "--url", dashboardUrl]),
      statelab(["fault", "stop", "postgres", "--url", dashboardUrl]),
      statelab(["fault", "kill", "stateful-1", "--url", nobodyUrl]),
    ]);
    expect(missing.code).toBe(2);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toMatch(/"kind" must be one of kill, pause/);
    expect(badFor.code).toBe(2);
    expect(badFor.stderr).toMatch(/duration must look like 5s/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no target "stateful-9"/);
    expect(noStore.code).toBe(2);
    expect(external.code).toBe(1);
    expect(external.stderr).toMatch(/postgres is external/);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/no lab answers at/);
  }, 180_000);
});

describe("the control API refuses what a foreign web page could send", () => {
  const post = (headers: Record<string, string>, body = JSON.stringify({ kind: "kill", target: "stateful-1" })) =>
    fetch(`${dashboardUrl}/api/faults`, { method: "POST", headers, body });

  it("a foreign Origin → 403, a form body → 415, a bad fault → 400 with a code, and nothing was killed", async () => {
    const foreign = await post({ "content-type": "application/json", origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    const form = await post({ "content-type": "application/x-www-form-urlencoded" }, "kind=kill&target=stateful-1");
    expect(form.status).toBe(415);
    const bad = await post({ "content-type": "application/json" }, JSON.stringify({ kind: "kill", target: "../x" }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("bad_request");
    const broken = await post({ "content-type": "application/json" }, "{");
    expect(broken.status).toBe(400);
    expect(instance(await state(), "stateful-1")?.process).toBe("running");
  });

  it("a request for another Host name (DNS rebinding) → 403", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${dashboardUrl}/api/state`, { headers: { host: "evil.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
