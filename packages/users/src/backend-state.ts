import type { Logger, ReadinessCheck } from "@statelab/http";
import type pg from "pg";
import { createAccounts } from "./accounts.js";
import type { Authenticate } from "./authenticate.js";
import type { BackendConfig } from "./backend-config.js";
import { createPgPool, createRedisClient, type RedisClient } from "./clients.js";
import { migrate } from "./migrations.js";
import { createPasswordHasher, type PasswordHasher } from "./passwords.js";
import type { UserStore } from "./user-store.js";

export interface BackendState {
  pool: pg.Pool;
  redis: RedisClient;
  users: UserStore;
  authenticate: Authenticate;
  readiness: Record<string, ReadinessCheck>;
  /** Settles when Redis first connects (benchmarks wait for it; servers do not). */
  redisConnected: Promise<void>;
  /** After the server stopped: end the pool, drop the Redis connection. */
  close(): Promise<void>;
}

/**
 * What every backend process opens at start: the pg pool (users migrated), a
 * fail-fast Redis client, and the accounts on top. Redis is not awaited: with
 * Redis down the server still starts, answers 503 where it needs Redis, and
 * reports unready until Redis returns.
 */
export async function openBackendState(
  config: BackendConfig,
  logger: Logger,
  options: { hasher?: PasswordHasher } = {},
): Promise<BackendState> {
  const pool = createPgPool(config.databaseUrl, logger);
  await migrate(pool);
  const redis = createRedisClient(config.redisUrl, logger);
  const redisConnected = redis.connect().then(
    () => {},
    (error: unknown) => logger.warn({ err: error }, "redis: first connect failed; retrying"),
  );
  const accounts = createAccounts({
    pool,
    redis,
    hasher: options.hasher ?? (await createPasswordHasher()),
    keyPrefix: config.redisPrefix,
    loginMaxFailures: config.loginMaxFailures,
  });
  return {
    pool,
    redis,
    ...accounts,
    readiness: { postgres: () => pool.query("SELECT 1"), redis: () => redis.ping() },
    redisConnected,
    async close() {
      await pool.end();
      redis.destroy();
    },
  };
}
