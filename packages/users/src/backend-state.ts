import { randomBytes } from "node:crypto";
import type { Logger, ReadinessCheck } from "@statelab/http";
import {
  createFence,
  createLeases,
  LEASE_MIGRATIONS,
  type Leases,
  type Singleton,
  startSingleton,
} from "@statelab/lease";
import type pg from "pg";
import { createAccounts, type Signup } from "./accounts.js";
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
  signup: Signup;
  readiness: Record<string, ReadinessCheck>;
  /** This process's leases (metrics, GET /lease). */
  leases: Leases;
  /** The login-statistics rollup under the "login-stats" lease; null when LOGIN_STATS_EVERY=0. */
  loginStatsJob: Singleton | null;
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
  options: { hasher?: PasswordHasher; deviceSecret: string },
): Promise<BackendState> {
  const pool = createPgPool(config.databaseUrl, logger);
  await migrate(pool);
  await migrate(pool, { namespace: "lease", migrations: LEASE_MIGRATIONS });
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
    deviceSecret: options.deviceSecret,
    loginLimits: config.loginLimits,
    signupLimits: config.signupLimits,
    hashQueue: config.hashQueue,
  });
  // Unique per process: a restarted instance with the same id must not renew its predecessor's lease.
  const leases = createLeases({
    redis,
    keyPrefix: config.redisPrefix,
    owner: `${config.instanceId}.${process.pid}.${randomBytes(4).toString("hex")}`,
  });
  const loginStatsJob =
    config.loginStatsEverySeconds === 0
      ? null
      : startSingleton({
          leases,
          fence: createFence({ pool, isChecking: config.leaseFence }),
          name: "login-stats",
          resource: `${config.redisPrefix}login-stats`,
          ttlMs: config.leaseTtlMs,
          everyMs: config.loginStatsEverySeconds * 1000,
          logger,
          work: async (run) => {
            await accounts.loginStats.rollup(run);
          },
        });
  const { throttle: _admin, ...served } = accounts;
  return {
    pool,
    redis,
    ...served,
    leases,
    loginStatsJob,
    readiness: { postgres: () => pool.query("SELECT 1"), redis: () => redis.ping() },
    redisConnected,
    async close() {
      await loginStatsJob?.stop();
      await pool.end();
      redis.destroy();
    },
  };
}
