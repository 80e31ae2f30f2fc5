import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { ensurePassword, REDIS_USER, redisUrl } from "./credentials.js";
import { InfraError } from "./errors.js";
import type { Service, ServiceOptions } from "./service.js";
import {
  aptInstall,
  isPortOpen,
  isProcessAlive,
  processCommand,
  run,
  throwIfAborted,
  waitFor,
  which,
} from "./system.js";

async function findRedisServer(options: ServiceOptions): Promise<string> {
  const found = which("redis-server");
  if (found) return found;
  await aptInstall("redis-server", "redis-server", options.log);
  const installed = which("redis-server");
  if (!installed) throw new InfraError("redis-server was installed but is still not on PATH");
  return installed;
}

/**
 * Sends PING over a raw socket (no client library, no offline queue to wait in), after
 * AUTH as statelab's ACL user when a password is given. True only for PONG: a server
 * that wants credentials answers NOAUTH, a wrong password WRONGPASS.
 */
export function pingRedis(port: number, timeoutMs = 1000, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () =>
      socket.write(password === undefined ? "PING\r\n" : `AUTH ${REDIS_USER} ${password}\r\nPING\r\n`),
    );
    socket.on("data", (data) => {
      reply += data.toString();
      if (reply.includes("+PONG")) done(password === undefined || reply.startsWith("+OK"));
      else if (reply.startsWith("-") || reply.includes("\r\n-")) done(false);
    });
    socket.once("error", () => done(false));
  });
}

/**
 * The server's ACL: the default user — what an anonymous client is — switched off, and
 * statelab's user with every permission, by the password's SHA-256 (the file holds no
 * password). In a file only its owner reads: on the command line it would show in `ps`.
 */
function writeAclConfig(file: string, password: string): void {
  const hash = createHash("sha256").update(password).digest("hex");
  writeFileSync(file, `user default off\nuser ${REDIS_USER} on #${hash} ~* &* +@all\n`, { mode: 0o600 });
}

const paths = (stateDir: string) => {
  const dir = path.join(stateDir, "redis");
  return { dir, pidFile: path.join(dir, "redis.pid"), portFile: path.join(dir, "redis.port") };
};

/** pid and port of the redis-server statelab started from this state dir, or null. */
function runningRedis(stateDir: string, log?: ServiceOptions["log"]): { pid: number; port: number } | null {
  const { pidFile, portFile } = paths(stateDir);
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (Number.isInteger(pid) && isProcessAlive(pid) && processCommand(pid).includes("redis-server")) {
    const port = existsSync(portFile) ? Number(readFileSync(portFile, "utf8").trim()) : Number.NaN;
    return { pid, port };
  }
  log?.(`redis: removing stale pid file ${pidFile} (process ${pid} is gone)`);
  rmSync(pidFile, { force: true });
  return null;
}

async function stopPid(pid: number): Promise<void> {
  process.kill(pid, "SIGTERM");
  try {
    await waitFor(async () => !isProcessAlive(pid), 10_000, `redis-server ${pid} to exit`);
  } catch {
    process.kill(pid, "SIGKILL");
  }
}

/** Starts (or reuses) a redis-server on 127.0.0.1:port with persistence off. */
export async function startRedis(options: ServiceOptions): Promise<Service> {
  const { stateDir, port, log } = options;
  const password = ensurePassword(stateDir, "redis");
  const url = redisUrl(port, password);
  const stop = async () => {
    await stopRedis(options);
  };
  const running = runningRedis(stateDir, log);
  if (running) {
    if (running.port !== port) {
      throw new InfraError(
        `redis: statelab's redis-server from ${stateDir} already runs on port ${running.port}, not ${port}; stop it with \`npm run infra -- down\``,
      );
    }
    if (!(await pingRedis(port, 2000, password))) {
      throw new InfraError(
        `redis: the server already running (pid ${running.pid}) on port ${port} does not take statelab's credentials (started before they existed?); stop it with \`npm run infra -- down\``,
      );
    }
    log(`redis: reusing the server already running (pid ${running.pid}) at 127.0.0.1:${port}`);
    return { name: "redis", url, pid: running.pid, startedHere: false, stop };
  }
  if (await isPortOpen(port)) {
    throw new InfraError(
      `redis: port ${port} is in use by another process, not by statelab; set REDIS_PORT to a free port or REDIS_URL to use that server`,
    );
  }
  const binary = await findRedisServer(options);
  const { dir, pidFile, portFile } = paths(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const configFile = path.join(dir, "redis.conf");
  writeAclConfig(configFile, password);
  throwIfAborted(options.signal, "redis");
  // Out of our process group's reach, like pg_ctl: the launch completes, and an abort then stops the daemon.
  await run(
    binary,
    [
      configFile,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      // Sessions are soft state: nothing is written to disk.
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "yes",
      "--pidfile",
      pidFile,
      "--logfile",
      path.join(dir, "redis.log"),
      "--dir",
      dir,
    ],
    { detached: true },
  );
  writeFileSync(portFile, String(port));
  await waitFor(
    async () => existsSync(pidFile) && (await pingRedis(port, 1000, password)),
    10_000,
    `redis-server on port ${port}`,
  );
  if (options.signal?.aborted) {
    await stopRedis(options);
    throwIfAborted(options.signal, "redis");
  }
  const pid = runningRedis(stateDir)?.pid ?? null;
  log(`redis: started (pid ${pid}) at 127.0.0.1:${port} (ACL user ${REDIS_USER}, password in ${stateDir}/credentials)`);
  return { name: "redis", url, pid, startedHere: true, stop };
}

/** Stops the redis-server started from this state dir, if any; says whether it did. */
export async function stopRedis(options: Omit<ServiceOptions, "port">): Promise<boolean> {
  const running = runningRedis(options.stateDir, options.log);
  if (!running) return false;
  await stopPid(running.pid);
  rmSync(paths(options.stateDir).pidFile, { force: true });
  options.log(`redis: stopped (pid ${running.pid})`);
  return true;
}

export function redisStatus(stateDir: string): { pid: number; port: number } | null {
  return runningRedis(stateDir);
}
