import { createApp, loadStatefulConfig, type StatefulConfig } from "@statelab/stateful";
import { inject } from "vitest";
import { silentLogger, TEST_APP_ENV, testAccounts, testPool, testRedis, uniquePrefix } from "./index.js";

export const TEST_SECRET = "test-secret-test-secret-test-secret-0123";

/**
 * A stateful app on the shared test Postgres and Redis, with a key prefix of
 * its own. `env` takes the same variables as the real server (SESSION_TTL, …).
 */
export async function statefulTestApp(env: Record<string, string> = {}) {
  const redis = await testRedis();
  const pool = await testPool();
  const config: StatefulConfig = loadStatefulConfig({
    DATABASE_URL: inject("databaseUrl"),
    REDIS_URL: inject("redisUrl"),
    REDIS_PREFIX: uniquePrefix("sf"),
    INSTANCE_ID: "stateful-test",
    LOG_REQUESTS: "false",
    ...TEST_APP_ENV,
    ...env,
  });
  const { users, authenticate, signup, readiness } = await testAccounts(pool, redis, config);
  const app = createApp({
    config,
    users,
    authenticate,
    signup,
    redis,
    secret: TEST_SECRET,
    logger: silentLogger,
    readiness,
  });
  return { app, config, redis, users, pool };
}
