import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { InfraError } from "./errors.js";

export type Log = (line: string) => void;

/** Finds an executable on PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Whether some process accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** A port nobody listens on right now (asks the kernel, then lets it go). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("the kernel gave no port");
  return address.port;
}

/** Alive and not a zombie (a daemon whose parent exited may linger unreaped where PID 1 does not reap). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch (error) {
    // EPERM means it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The command line of a live process (Linux /proc), or "" when unknown. */
export function processCommand(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

export interface RunOptions {
  uid?: number;
  gid?: number;
  cwd?: string;
  /**
   * Its own process group, out of reach of signals to ours (Ctrl-C, a closed terminal):
   * for launches that must run to their end so that the caller can then undo them (a
   * `pg_ctl start` killed by SIGHUP leaves its detached postmaster starting).
   */
  detached?: boolean;
}

/** Throws once the caller has given up; a start calls it between its steps. */
export function throwIfAborted(signal: AbortSignal | undefined, service: string): void {
  if (signal?.aborted) throw new InfraError(`${service}: start interrupted`);
}

/** Runs a command to completion; throws InfraError with its output when it fails. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.once("error", (error) => reject(new InfraError(`${command}: ${error.message}`)));
    child.once("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new InfraError(`${path.basename(command)} ${args.join(" ")} exited with ${code}:\n${output.trim()}`));
    });
  });
}

export function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new InfraError(`timed out after ${timeoutMs} ms waiting for ${what}`);
  })();
}

/**
 * Installs a Debian package when that is allowed: running as root on a
 * Debian-like system with apt-get, and STATELAB_NO_INSTALL unset.
 * Otherwise throws one line that says how to install it.
 */
export async function aptInstall(pkg: string, why: string, log: Log): Promise<void> {
  const allowed =
    isRoot() && existsSync("/etc/debian_version") && which("apt-get") !== null && !process.env.STATELAB_NO_INSTALL;
  if (!allowed) {
    throw new InfraError(
      `${why} not found: install it with \`sudo apt-get install -y ${pkg}\` (or set the URL env var to use a running server)`,
    );
  }
  log(`${why} not found: installing ${pkg} with apt-get (set STATELAB_NO_INSTALL=1 to forbid)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", pkg],
  ]) {
    const result = spawnSync("apt-get", args, { env, stdio: ["ignore", "ignore", "pipe"] });
    if (result.status !== 0) {
      throw new InfraError(`apt-get ${args.join(" ")} failed: ${result.stderr.toString().trim().split("\n").pop()}`);
    }
  }
}

/** Newest Debian-layout PostgreSQL bin folder (/usr/lib/postgresql/<v>/bin), or null. */
export function debianPostgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], "bin") : null;
}
