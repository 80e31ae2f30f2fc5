import { randomBytes } from "node:crypto";
import type { Logger, ReadinessCheck } from "@statelab/http";
import { createFence, createLeases, type Leases, type Singleton, startSingleton } from "@statelab/lease";
import {
  type Authenticate,
  createPasswordHasher,
  type PasswordHasher,
  type Signup,
  type UserStore,
} from "@statelab/users";
import type pg from "pg";
import { createAccounts } from "./accounts.js";
import { createPgPool, createRedisClient, type RedisClient } from "./clients.js";
import type { BackendConfig } from "./config.js";
import { assertMigrated, type MigrationSet, migrate } from "./migrate.js";
import { backendMigrations } from "./migrations.js";

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
 * What every backend process opens at start: the pg pool (its schema migrated, or
 * checked to be, see MIGRATE_ON_START), a
 * fail-fast Redis client, and the accounts on top. Redis is not awaited: with
 * Redis down the server still starts, answers 503 where it needs Redis, and
 * reports unready until Redis returns.
 */
export async function openBackendState(
  config: BackendConfig,
  logger: Logger,
  options: { hasher?: PasswordHasher; migrations?: readonly MigrationSet[]; deviceSecret: string },
): Promise<BackendState> {
  const migrations = options.migrations ?? backendMigrations;
  if (config.migrateOnStart) {
    await migrate(config.databaseUrl, migrations, (line) => logger.info(line));
  }
  const pool = createPgPool(config.databaseUrl, logger);
  // Not told to migrate: the schema is a deployment's step (`npm run migrate`); only check it is there.
  if (!config.migrateOnStart)
    await assertMigrated(pool, migrations).catch(async (error: unknown) => {
      await pool.end();
      throw error;
    });
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
