import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createApp, loadKeySet, loadStatelessConfig, type StatelessConfig } from "@statelab/stateless";
import type pg from "pg";
import { inject } from "vitest";
import { silentLogger, TEST_APP_ENV, testAccounts, testPool, testRedis, uniquePrefix } from "./index.js";

/** A key directory of its own, so tests never touch the lab's keys. */
export const tempKeyDir = () => mkdtempSync(path.join(os.tmpdir(), "statelab-keys-"));

/**
 * The stateless app on `pool` (any pool: the shared one, or one pointed at a
 * Postgres that is down) with the test Redis and cheap hashing.
 */
export async function statelessAppOn(
  pool: pg.Pool,
  config: StatelessConfig,
  keys = loadKeySet(config.keyDir, config.jwtAlg),
) {
  const redis = await testRedis();
  const { users, authenticate, signup, readiness } = await testAccounts(pool, redis, config);
  const app = createApp({
    config,
    users,
    authenticate,
    signup,
    pool,
    redis,
    keys,
    logger: silentLogger,
    readiness,
  });
  return { app, users, keys, redis };
}

/**
 * A stateless app on the shared test Postgres and Redis with its own key prefix
 * and (unless given) its own key dir. `env` takes the real server's variables.
 */
export async function statelessTestApp(env: Record<string, string> = {}) {
  const pool = await testPool();
  const config: StatelessConfig = loadStatelessConfig({
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: inject("redisUrl"),
    REDIS_PREFIX: uniquePrefix("sl"),
    INSTANCE_ID: "stateless-test",
    KEY_DIR: tempKeyDir(),
    LOG_REQUESTS: "false",
    ...TEST_APP_ENV,
    ...env,
  });
  const { app, users, keys, redis } = await statelessAppOn(pool, config);
  return { app, config, redis, users, pool, keys };
}
