import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { ensurePassword, passwordFile, postgresUrl } from "./credentials.js";
import { InfraError } from "./errors.js";
import type { Service, ServiceOptions } from "./service.js";
import {
  aptInstall,
  debianPostgresBinDir,
  isPortOpen,
  isProcessAlive,
  isRoot,
  type RunOptions,
  run,
  throwIfAborted,
  which,
} from "./system.js";

export interface PostgresOptions extends ServiceOptions {
  /** Database to create if missing. */
  database: string;
  /** Trade durability for speed (fsync off): for throwaway test clusters only. */
  fast?: boolean;
}

function findInstalledBinDir(): string | null {
  const onPath = which("initdb");
  if (onPath) return path.dirname(onPath);
  const pgConfig = which("pg_config");
  if (pgConfig) {
    const out = spawnSync(pgConfig, ["--bindir"], { encoding: "utf8" });
    const dir = out.stdout?.trim();
    if (dir && existsSync(path.join(dir, "initdb"))) return dir;
  }
  return debianPostgresBinDir();
}

const hasBinaries = () => findInstalledBinDir() !== null;

async function findBinDir(options: ServiceOptions): Promise<string> {
  const found = findInstalledBinDir();
  if (found) return found;
  await aptInstall("postgresql", "PostgreSQL server (initdb, pg_ctl)", options.log);
  const installed = findInstalledBinDir();
  if (!installed) throw new InfraError("PostgreSQL was installed but initdb is still not found");
  return installed;
}

/** Postgres refuses to run as root, so root runs it as the unprivileged `postgres` OS user. */
function serverUser(): RunOptions {
  if (!isRoot()) return {};
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new InfraError(
      "running as root needs an unprivileged `postgres` OS user to run the server (useradd --system postgres)",
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function canUse(dir: string, user: RunOptions): boolean {
  if (user.uid === undefined) return true;
  return spawnSync("test", ["-w", dir, "-a", "-x", dir], { uid: user.uid, gid: user.gid }).status === 0;
}

/**
 * The cluster lives in the project's state dir. As root it must be reachable by
 * the `postgres` user; a checkout under a private folder (mktemp -d is 0700) is
 * not, and then the cluster goes to a per-checkout folder in the OS temp dir.
 */
function clusterDir(options: ServiceOptions, user: RunOptions): string {
  const preferred = path.join(options.stateDir, "postgres");
  const prepare = (dir: string) => {
    mkdirSync(path.dirname(dir), { recursive: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid);
    return canUse(dir, user);
  };
  if (prepare(preferred)) return preferred;
  const hash = createHash("sha256").update(path.resolve(options.stateDir)).digest("hex").slice(0, 12);
  const fallback = path.join(os.tmpdir(), `statelab-${hash}`, "postgres");
  mkdirSync(path.dirname(fallback), { recursive: true, mode: 0o755 });
  if (prepare(fallback)) {
    options.log(`postgres: ${preferred} is not reachable by the postgres OS user; using ${fallback}`);
    return fallback;
  }
  throw new InfraError(`postgres: neither ${preferred} nor ${fallback} is writable by the postgres OS user`);
}

/** pid and port of the postmaster running on this data dir, or null. */
function runningPostmaster(dataDir: string): { pid: number; port: number } | null {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || !isProcessAlive(pid)) return null;
  return { pid, port: Number(portLine) };
}

/**
 * Every connection needs the password, checked with SCRAM; TCP on loopback only (the
 * server has no Unix socket). What initdb --auth=scram-sha-256 writes, minus the lines
 * for a socket that does not exist.
 */
const HBA = `# statelab: every client needs the postgres password (scram-sha-256), on loopback TCP.
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
`;

const isAuthFailure = (error: unknown) => ["28P01", "28000"].includes((error as { code?: string }).code ?? "");

/**
 * Brings a cluster made before statelab used passwords (initdb --auth=trust) up to date,
 * through the trusted connection it still allows: sets the generated password (scram, the
 * default encryption), replaces pg_hba.conf and reloads. A cluster that already asks for
 * a password is left alone.
 */
async function requirePassword(client: pg.Client, cluster: Cluster, password: string): Promise<void> {
  const { rows } = await client.query<{ trusted: boolean }>(
    "SELECT bool_or(auth_method = 'trust') AS trusted FROM pg_hba_file_rules",
  );
  if (!rows[0]?.trusted) return;
  await client.query(`ALTER ROLE postgres PASSWORD ${client.escapeLiteral(password)}`);
  const hbaFile = path.join(cluster.dataDir, "pg_hba.conf");
  writeFileSync(hbaFile, HBA, { mode: 0o600 });
  if (cluster.user.uid !== undefined && cluster.user.gid !== undefined)
    chownSync(hbaFile, cluster.user.uid, cluster.user.gid);
  await client.query("SELECT pg_reload_conf()");
}

async function ensureDatabase(cluster: Cluster, port: number, database: string, password: string): Promise<void> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port,
    user: "postgres",
    password,
    database: "postgres",
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
  } catch (error) {
    if (!isAuthFailure(error)) throw error;
    throw new InfraError(
      `postgres: the cluster in ${cluster.dataDir} refuses the password in ${cluster.passwordFile}; ` +
        "stop it (`npm run infra -- down`) and delete that data dir to start afresh",
    );
  }
  try {
    await requirePassword(client, cluster, password);
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`).catch((error: { code?: string }) => {
        // 42P04 duplicate_database: another process created it first.
        if (error.code !== "42P04") throw error;
      });
    }
  } finally {
    await client.end();
  }
}

interface Cluster {
  binDir: string;
  user: RunOptions;
  base: string;
  dataDir: string;
  passwordFile: string;
}

async function locate(options: ServiceOptions): Promise<Cluster> {
  const binDir = await findBinDir(options);
  const user = serverUser();
  const base = clusterDir(options, user);
  return {
    binDir,
    user,
    base,
    dataDir: path.join(base, "data"),
    passwordFile: passwordFile(options.stateDir, "postgres"),
  };
}

async function stopCluster(cluster: Cluster, log: ServiceOptions["log"]): Promise<boolean> {
  const running = runningPostmaster(cluster.dataDir);
  if (!running) return false;
  await run(
    path.join(cluster.binDir, "pg_ctl"),
    ["stop", "-D", cluster.dataDir, "-m", "fast", "-w", "-t", "30"],
    cluster.user,
  );
  log(`postgres: stopped (pid ${running.pid})`);
  return true;
}

/** Starts (or reuses) a PostgreSQL cluster on 127.0.0.1:port in the state dir. */
export async function startPostgres(options: PostgresOptions): Promise<Service> {
  const { port, database, log } = options;
  const password = ensurePassword(options.stateDir, "postgres");
  const url = postgresUrl(port, database, password);
  const cluster = await locate(options);
  const { binDir, user, base, dataDir } = cluster;
  const stop = async () => {
    await stopCluster(cluster, log);
  };

  const running = runningPostmaster(dataDir);
  if (running) {
    if (running.port !== port) {
      throw new InfraError(
        `postgres: the cluster in ${dataDir} already runs on port ${running.port}, not ${port}; stop it with \`npm run infra -- down\``,
      );
    }
    await ensureDatabase(cluster, port, database, password);
    log(`postgres: reusing the server already running (pid ${running.pid}) at 127.0.0.1:${port}/${database}`);
    return { name: "postgres", url, pid: running.pid, startedHere: false, stop };
  }
  if (existsSync(path.join(dataDir, "postmaster.pid"))) {
    log(`postgres: stale postmaster.pid in ${dataDir} (its process is gone); the server will replace it`);
  }
  if (await isPortOpen(port)) {
    throw new InfraError(
      `postgres: port ${port} is in use by another process, not by statelab's cluster; set PG_PORT to a free port or DATABASE_URL to use that server`,
    );
  }
  throwIfAborted(options.signal, "postgres");
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`postgres: initdb ${dataDir}`);
    // The password reaches initdb in a file the server's OS user can read (ours may be 0600
    // root's), removed right after: never on a command line, where `ps` would show it.
    const pwfile = path.join(base, `initdb-password.${process.pid}`);
    writeFileSync(pwfile, password, { mode: 0o600 });
    if (user.uid !== undefined && user.gid !== undefined) chownSync(pwfile, user.uid, user.gid);
    try {
      // In our process group: a Ctrl-C stops initdb too, and initdb then removes what it wrote.
      await run(
        path.join(binDir, "initdb"),
        [
          "-D",
          dataDir,
          "-U",
          "postgres",
          "--auth=scram-sha-256",
          `--pwfile=${pwfile}`,
          "-E",
          "UTF8",
          "--no-locale",
          "--no-sync",
        ],
        user,
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  throwIfAborted(options.signal, "postgres");
  const settings = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    // No Unix socket: loopback TCP only, and no socket-path length limit to trip on.
    "-c unix_socket_directories=''",
    "-c max_connections=200",
    ...(options.fast ? ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"] : []),
  ];
  // pg_ctl detaches the postmaster (setsid). It passes a SIGINT on to it, but a SIGHUP or
  // SIGTERM to our process group would kill pg_ctl alone and leave the postmaster starting
  // with nobody to stop it: pg_ctl runs to its end out of the group's reach instead.
  await run(
    path.join(binDir, "pg_ctl"),
    ["start", "-D", dataDir, "-l", path.join(base, "postgres.log"), "-w", "-t", "60", "-o", settings.join(" ")],
    { ...user, detached: true },
  );
  // pg_ctl -w succeeded, so the postmaster answering is the one it forked: ours to stop when
  // the start goes no further. (A failed pg_ctl may mean another start's server won the data
  // dir's lock, which is not ours to stop.)
  try {
    await ensureDatabase(cluster, port, database, password);
    throwIfAborted(options.signal, "postgres");
  } catch (error) {
    await stopCluster(cluster, log).catch((stopError: Error) =>
      log(`postgres: could not stop the server this start launched: ${stopError.message}`),
    );
    throw error;
  }
  const pid = runningPostmaster(dataDir)?.pid ?? null;
  log(
    `postgres: started (pid ${pid}) at 127.0.0.1:${port}/${database} (scram password in ${options.stateDir}/credentials)`,
  );
  return { name: "postgres", url, pid, startedHere: true, stop };
}

/** Stops the cluster in the state dir if one runs; says whether it did. Never installs anything. */
export async function stopPostgres(options: ServiceOptions): Promise<boolean> {
  if (!hasBinaries()) return false;
  return stopCluster(await locate(options), options.log);
}

/** The running cluster of the state dir, or null. */
export async function postgresStatus(options: ServiceOptions): Promise<{ pid: number; port: number } | null> {
  if (!hasBinaries()) return null;
  return runningPostmaster((await locate(options)).dataDir);
}
