import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInfraConfig, projectRoot } from "./config.js";
import { passwordFile } from "./credentials.js";
import { InfraError } from "./errors.js";
import { infraStatus, startInfra, stopInfra } from "./infra.js";
import { startPostgres } from "./postgres.js";
import { pingRedis, startRedis } from "./redis.js";
import { debianPostgresBinDir, isPortOpen, isProcessAlive } from "./system.js";

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
/**
 * A port the kernel just handed out and nobody holds: the tests below run while other
 * checkouts' suites run theirs, so they take no fixed port.
 */
const freePort = async (): Promise<number> => {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
};
/** A state dir the `postgres` OS user can enter when we are root, so the cluster lives inside it. */
const tempPgState = () => {
  const dir = tempState();
  chmodSync(dir, 0o755);
  return dir;
};

const until = async <T>(check: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
/** The data dir a start announced in its "postgres: initdb <dir>" line. */
const initdbDir = (text: string) => /postgres: initdb (\S+)/.exec(text)?.[1];
/**
 * The pid in the data dir's postmaster.pid once a postmaster wrote it. initdb's bootstrap
 * backend writes that file too, with its pid negated: that one is not the server.
 */
const postmasterPid = (dataDir: string | undefined): number | undefined => {
  if (dataDir === undefined) return undefined;
  try {
    const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};
const existsAsProcess = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Stops a postmaster a failing test left behind (SIGINT is Postgres's fast shutdown). */
const killLeftover = (pid: number | undefined) => {
  if (pid === undefined || !isProcessAlive(pid)) return;
  process.kill(pid, "SIGCONT");
  process.kill(pid, "SIGINT");
};

const lines: string[] = [];
const log = (line: string) => lines.push(line);

describe("redis lifecycle", () => {
  it("a second start reuses the running server; stop stops it", async () => {
    const stateDir = tempState();
    const first = await startRedis({ stateDir, port: 63831, log });
    try {
      expect(first.startedHere).toBe(true);
      const second = await startRedis({ stateDir, port: 63831, log });
      expect(second).toMatchObject({ startedHere: false, pid: first.pid, url: first.url });
      expect(first.url).toMatch(/^redis:\/\/statelab:[0-9a-f]{64}@127\.0\.0\.1:63831$/);
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

describe("postgres start: refusals and leftovers", () => {
  it("a port held by another process → one clear InfraError naming PG_PORT, and no initdb", async () => {
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const { port } = blocker.address() as net.AddressInfo;
    const stateDir = tempPgState();
    lines.length = 0;
    try {
      const error = await startPostgres({ stateDir, port, database: "lab", log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InfraError);
      expect((error as Error).message).toMatch(
        new RegExp(`port ${port} is in use by another process.*PG_PORT.*DATABASE_URL`),
      );
      expect(lines.some((l) => l.startsWith("postgres: initdb"))).toBe(false);
      expect(existsSync(path.join(stateDir, "postgres", "data", "PG_VERSION"))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it("a stale postmaster.pid (its process gone) is reported, and the server starts over it", async () => {
    const stateDir = tempPgState();
    const port = await freePort();
    const first = await startPostgres({ stateDir, port, database: "lab", fast: true, log });
    const dataDir = path.join(stateDir, "postgres", "data");
    // The real file of a real postmaster, left behind as a crash would leave it.
    const stale = readFileSync(path.join(dataDir, "postmaster.pid"), "utf8");
    await first.stop();
    // Gone, not just exiting: Postgres itself refuses a lock file whose pid still exists, zombies included.
    await until(() => (existsAsProcess(first.pid as number) ? undefined : true), "the old postmaster to be reaped");
    writeFileSync(path.join(dataDir, "postmaster.pid"), stale);
    lines.length = 0;
    const second = await startPostgres({ stateDir, port, database: "lab", fast: true, log });
    try {
      expect(lines.some((l) => /stale postmaster\.pid/.test(l))).toBe(true);
      expect(second.startedHere).toBe(true);
      expect(second.pid).not.toBe(first.pid);
      expect(isProcessAlive(second.pid as number)).toBe(true);
    } finally {
      await second.stop();
    }
    expect(await isPortOpen(port)).toBe(false);
  }, 60_000);

  it("aborted while pg_ctl start runs → the start stops the server it launched, then rejects", async () => {
    const stateDir = tempPgState();
    const port = await freePort();
    const controller = new AbortController();
    const seen: string[] = [];
    const starting = startPostgres({
      stateDir,
      port,
      database: "lab",
      fast: true,
      log: (line) => seen.push(line),
      signal: controller.signal,
    });
    let pid: number | undefined;
    try {
      pid = await until(() => postmasterPid(initdbDir(seen.join("\n"))), "the postmaster's pid file");
      // Frozen while it starts, pg_ctl start cannot have returned when the abort comes.
      process.kill(pid, "SIGSTOP");
      controller.abort();
      process.kill(pid, "SIGCONT");
      const error = await starting.then(
        (service) => service.stop().then(() => "resolved"),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InfraError);
      expect((error as Error).message).toMatch(/interrupted/);
      // pg_ctl stop returns once the pid file is gone, a moment before the process is.
      await until(() => (isProcessAlive(pid as number) ? undefined : true), "the postmaster to exit", 5_000);
      expect(await isPortOpen(port)).toBe(false);
    } finally {
      killLeftover(pid);
    }
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

describe("the `run` command (npm run infra -- run)", () => {
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
    expect(output).toMatch(/DATABASE_URL=postgres:\/\/postgres:[0-9a-f]{64}@127\.0\.0\.1:54363\/statelab/);
    expect(output).toMatch(/REDIS_URL=redis:\/\/statelab:[0-9a-f]{64}@127\.0\.0\.1:63834/);
    const pids = [...output.matchAll(/started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    expect(await pingRedis(63834)).toBe(false);
  }, 90_000);

  // A terminal's Ctrl-C reaches pg_ctl too, and pg_ctl passes a SIGINT on to the postmaster
  // it is starting. These signals get no such help: they used to leave a running postmaster.
  it.each([
    ["SIGTERM to the CLI alone (a supervisor stopping it)", "SIGTERM", "process"],
    ["SIGHUP to its whole process group (the terminal closed)", "SIGHUP", "group"],
  ] as const)(
    "%s while pg_ctl start runs → the half-started Postgres is stopped too",
    async (_what, signal, target) => {
      const [pgPort, redisPort] = [await freePort(), await freePort()];
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        STATELAB_HOME: tempPgState(),
        PG_PORT: String(pgPort),
        REDIS_PORT: String(redisPort),
      };
      delete env.DATABASE_URL;
      delete env.REDIS_URL;
      // Its own process group, like a shell's foreground job: a signal to -pid reaches pg_ctl too.
      const child = spawn(
        process.execPath,
        ["--import", "tsx", path.join(projectRoot, "packages/infra/src/cli.ts"), "run"],
        { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
      );
      let output = "";
      child.stdout.on("data", (d) => {
        output += d;
      });
      child.stderr.on("data", (d) => {
        output += d;
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      let pid: number | undefined;
      try {
        pid = await until(() => postmasterPid(initdbDir(output)), "the postmaster's pid file");
        // Freeze the postmaster while it is still starting: pg_ctl start, which waits for it to be
        // ready, then cannot return, so the signal lands while the start is under way however
        // fast this machine is. It resumes once the CLI has taken the signal.
        process.kill(pid, "SIGSTOP");
        process.kill(target === "group" ? -(child.pid as number) : (child.pid as number), signal);
        await until(() => (output.includes(`${signal}: stopping`) ? true : undefined), "the CLI to take the signal");
        process.kill(pid, "SIGCONT");
        expect(await exited).toBe(0);
        expect(output).not.toContain("Running.");
        // pg_ctl stop returns once the pid file is gone, a moment before the process is.
        await until(() => (isProcessAlive(pid as number) ? undefined : true), "the postmaster to exit", 5_000);
        expect(await isPortOpen(pgPort)).toBe(false);
        expect(await pingRedis(redisPort)).toBe(false);
      } finally {
        killLeftover(pid);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
    90_000,
  );
});

/** What a local user without the credentials gets from `psql -w` (never prompts): its exit code and first line. */
function psqlWithout(port: number, password?: string): { status: number | null; line: string } {
  const psql = path.join(debianPostgresBinDir() ?? "/usr/lib/postgresql/15/bin", "psql");
  const result = spawnSync(
    psql,
    ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-w", "-tAc", "SELECT 1"],
    {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", ...(password === undefined ? {} : { PGPASSWORD: password }) },
    },
  );
  return { status: result.status, line: `${result.stdout}${result.stderr}`.trim().split("\n")[0] ?? "" };
}

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe("credentials of the servers statelab starts (H7)", () => {
  it("Redis: an anonymous client gets NOAUTH; statelab's ACL user with the generated password gets in", async () => {
    const stateDir = tempState();
    const port = await freePort();
    const redis = await startRedis({ stateDir, port, log });
    try {
      const cli = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "PING"], { encoding: "utf8" });
      expect(`${cli.stdout}${cli.stderr}`).toMatch(/NOAUTH/);
      expect(await pingRedis(port)).toBe(false);
      const password = new URL(redis.url).password;
      expect(await pingRedis(port, 1000, password)).toBe(true);
      expect(await pingRedis(port, 1000, "0".repeat(64))).toBe(false);
      // The password file is its owner's alone; the server's config holds only a hash of it.
      expect(readFileSync(passwordFile(stateDir, "redis"), "utf8").trim()).toBe(password);
      expect(modeOf(passwordFile(stateDir, "redis"))).toBe(0o600);
      const config = readFileSync(path.join(stateDir, "redis", "redis.conf"), "utf8");
      expect(config).toContain("user default off");
      expect(config).not.toContain(password);
      expect(modeOf(path.join(stateDir, "redis", "redis.conf"))).toBe(0o600);
      // No password on the command line either (`ps` shows it to every local user).
      expect(readFileSync(`/proc/${redis.pid}/cmdline`, "utf8")).not.toContain(password);
    } finally {
      await redis.stop();
    }
  });

  it("Postgres: a client without the password is refused, a wrong one too; scram, not trust", async () => {
    const stateDir = tempPgState();
    const port = await freePort();
    const postgres = await startPostgres({ stateDir, port, database: "lab", fast: true, log });
    try {
      const none = psqlWithout(port);
      expect(none.status).not.toBe(0);
      expect(none.line).toMatch(/no password supplied|password authentication failed/);
      expect(psqlWithout(port, "0".repeat(64)).line).toMatch(/password authentication failed/);
      const password = new URL(postgres.url).password;
      expect(psqlWithout(port, password)).toEqual({ status: 0, line: "1" });
      expect(modeOf(passwordFile(stateDir, "postgres"))).toBe(0o600);
    } finally {
      await postgres.stop();
    }
  }, 60_000);

  it("a cluster made before credentials (trust) is given the password on its next start", async () => {
    const stateDir = tempPgState();
    const port = await freePort();
    const first = await startPostgres({ stateDir, port, database: "lab", fast: true, log });
    const hbaFile = path.join(stateDir, "postgres", "data", "pg_hba.conf");
    // What `initdb --auth=trust` used to leave: anyone local is let in.
    writeFileSync(hbaFile, "host all all 127.0.0.1/32 trust\n");
    await first.stop();
    const second = await startPostgres({ stateDir, port, database: "lab", fast: true, log });
    try {
      expect(second.startedHere).toBe(true);
      expect(psqlWithout(port).status).not.toBe(0);
      expect(psqlWithout(port, new URL(second.url).password).status).toBe(0);
      expect(readFileSync(hbaFile, "utf8")).not.toMatch(/\btrust\b/);
    } finally {
      await second.stop();
    }
  }, 90_000);
});
