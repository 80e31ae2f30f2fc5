import { randomBytes } from "node:crypto";
import { createLogger } from "@statelab/http";
import {
  type BackendConfig,
  createAccounts,
  createPasswordHasher,
  createPgPool,
  createPgUserStore,
  createRedisClient,
  migrate,
  type PasswordHasher,
  type RedisClient,
  TEST_ONLY_PARAMS,
} from "@statelab/users";
import type pg from "pg";
import { afterAll, inject } from "vitest";

/** A name no other test (or earlier run) has used: tests share one database. */
export function uniqueName(prefix = "u"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** A Redis key prefix of this test file's own. */
export const uniquePrefix = (label = "test") => `${uniqueName(label)}:`;

export const silentLogger = createLogger({
  name: "test",
  instanceId: "test",
  level: process.env.TEST_LOG_LEVEL ?? "silent",
});

/** A pg pool on the shared test database, migrated, closed after the file. */
export async function testPool(): Promise<pg.Pool> {
  const pool = createPgPool(inject("databaseUrl"), silentLogger);
  afterAll(() => pool.end());
  await migrate(pool);
  return pool;
}

/** A connected node-redis client on the shared test Redis, closed after the file. */
export async function testRedis(): Promise<RedisClient> {
  // A generous command timeout: a loaded 2-core CI machine must not turn into spurious 503s.
  // Outage tests build their own clients with short timeouts.
  const client = createRedisClient(inject("redisUrl"), silentLogger, { commandTimeoutMs: 5000 });
  await client.connect();
  afterAll(async () => {
    if (client.isOpen) await client.close();
  });
  return client;
}

let cheapHasher: Promise<PasswordHasher> | undefined;
/** argon2id at the test-only cost: suites sign up many users. Never a default anywhere else. */
export const testHasher = () => {
  cheapHasher ??= createPasswordHasher(TEST_ONLY_PARAMS);
  return cheapHasher;
};

/** Signs device cookies in in-process apps. */
export const TEST_DEVICE_SECRET = "test-device-secret-test-device-secret-01";

/**
 * What in-process test apps run with besides their own env: a suite makes many
 * users and parallel requests from one address (127.0.0.1), so the per-address
 * signup limit and the hash queue's per-client share are raised. The login limits
 * keep their defaults; the tests of these two set them back where they test them.
 */
export const TEST_APP_ENV = {
  SIGNUP_MAX_PER_IP: "100000",
  SIGNUP_MAX_GLOBAL: "100000",
  HASH_QUEUE_PER_CLIENT: "1000",
  HASH_QUEUE: "1000",
} as const;

/** The accounts (store, signup, login) of an in-process app, with cheap hashing. */
export async function testAccounts(
  pool: pg.Pool,
  redis: RedisClient,
  config: Pick<BackendConfig, "redisPrefix" | "loginLimits" | "signupLimits" | "hashQueue">,
) {
  return createAccounts({
    pool,
    redis,
    hasher: await testHasher(),
    keyPrefix: config.redisPrefix,
    deviceSecret: TEST_DEVICE_SECRET,
    loginLimits: config.loginLimits,
    signupLimits: config.signupLimits,
    hashQueue: config.hashQueue,
  });
}

export async function testUserStore() {
  const pool = await testPool();
  return { pool, users: createPgUserStore({ pool, hasher: await testHasher() }) };
}
