/**
 * A process that runs a lease-guarded singleton job and prints what it does as JSON
 * lines, for the lease-handoff scenario and the lease process tests. Its job writes
 * one row per run, fenced by its token, after a stall between "I hold the lease"
 * and the write: the window in which a GC pause or SIGSTOP makes a holder stale.
 */

import { fileURLToPath } from "node:url";
import { createPgPool, createRedisClient, type MigrationSet, migrate } from "@statelab/backend";
import { env, loadConfig, runMain } from "@statelab/http";
import { createFence, createLeases, leaseMigrations, type SingletonLogger, startSingleton } from "@statelab/lease";

const shape = {
  DATABASE_URL: env.url(["postgres:", "postgresql:"]),
  REDIS_URL: env.url(["redis:", "rediss:"]),
  REDIS_PREFIX: env.string("statelab:"),
  WORKER_ID: env.string("worker"),
  LEASE_NAME: env.string("lease-demo"),
  LEASE_TTL_MS: env.int(1000, 30, 3_600_000),
  LEASE_FENCE: env.bool(true),
  WRITE_EVERY_MS: env.int(200, 1),
  WRITE_STALL_MS: env.int(0, 0, 60_000),
};

/** The demo table (apps/lab/migrations/lease-demo): every accepted write, in commit order. */
const leaseDemoMigrations: MigrationSet = {
  name: "lease-demo",
  dir: fileURLToPath(new URL("../../../migrations/lease-demo", import.meta.url)),
  legacy: { namespace: "lease-demo", ids: { 1: "0001_lease-demo-writes" } },
};

type Config = ReturnType<typeof loadConfig<typeof shape>>;

const print = (worker: string, msg: string, obj: object = {}) =>
  process.stdout.write(`${JSON.stringify({ at: Date.now(), worker, msg, ...obj })}\n`);

async function main(config: Config): Promise<void> {
  const worker = config.WORKER_ID;
  const logger: SingletonLogger = {
    info: (obj, msg) => print(worker, msg, obj),
    warn: (obj, msg) => print(worker, msg, obj instanceof Error ? { err: obj.message } : obj),
  };
  const pool = createPgPool(config.DATABASE_URL, logger, { max: 2 });
  // The lab tells its processes to migrate: this one needs the fence and its demo table.
  await migrate(config.DATABASE_URL, [leaseMigrations, leaseDemoMigrations]);
  const redis = createRedisClient(config.REDIS_URL, logger);
  await redis.connect();
  const owner = `${worker}.${process.pid}`;
  const leases = createLeases({ redis, keyPrefix: config.REDIS_PREFIX, owner });
  const singleton = startSingleton({
    leases,
    fence: createFence({ pool, isChecking: config.LEASE_FENCE }),
    name: config.LEASE_NAME,
    ttlMs: config.LEASE_TTL_MS,
    everyMs: config.WRITE_EVERY_MS,
    logger,
    async work(run) {
      if (!run.isValid()) return;
      print(worker, "writing", { token: run.token });
      await new Promise((resolve) => setTimeout(resolve, config.WRITE_STALL_MS));
      const { isStale } = await run.write((client) =>
        client.query("INSERT INTO lease_demo_writes (resource, owner, token) VALUES ($1, $2, $3)", [
          config.LEASE_NAME,
          owner,
          run.token,
        ]),
      );
      print(worker, "wrote", { token: run.token, isStale });
    },
  });
  print(worker, "ready", { owner });
  const shutdown = async () => {
    await singleton.stop();
    await pool.end();
    redis.destroy();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
}

runMain("lease-worker", () => loadConfig(shape, process.env), main);
