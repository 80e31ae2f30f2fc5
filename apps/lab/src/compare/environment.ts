import { execFileSync } from "node:child_process";
import os from "node:os";
import { projectRoot } from "@statelab/infra";
import pg from "pg";
import { createClient } from "redis";
import type { RunEnvironment } from "./results.js";

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
    return `PostgreSQL ${rows[0]?.server_version ?? "?"}`;
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisVersion(url: string): Promise<string> {
  const client = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
    const info = await client.info("server");
    return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? "?"}`;
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  } finally {
    if (client.isOpen) await client.close();
  }
}

function gitCommit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: projectRoot }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: projectRoot }).toString().trim() !== "";
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return "unknown (not a git checkout)";
  }
}

/** What the numbers were measured on: it heads every report. */
export async function describeEnvironment(urls: { databaseUrl: string; redisUrl: string }, quick: boolean) {
  const cpus = os.cpus();
  const environment: RunEnvironment = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    postgres: await postgresVersion(urls.databaseUrl),
    redis: await redisVersion(urls.redisUrl),
    commit: gitCommit(),
    quick,
  };
  return environment;
}
