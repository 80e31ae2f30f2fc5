import { randomBytes } from "node:crypto";
import {
  type BackendConfig,
  createAccounts,
  createPgPool,
  createRedisClient,
  type RedisClient,
} from "@statelab/backend";
import { createLogger } from "@statelab/http";
import { createPasswordHasher, createPgUserStore, type PasswordHasher, TEST_ONLY_PARAMS } from "@statelab/users";
import type { Express } from "express";
import type pg from "pg";
import request from "supertest";
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

/** A pg pool on the shared test database (migrated once by the global setup), closed after the file. */
export async function testPool(): Promise<pg.Pool> {
  const pool = createPgPool(inject("databaseUrl"), silentLogger);
  afterAll(() => pool.end());
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

export async function testUserStore() {
  const pool = await testPool();
  return { pool, users: createPgUserStore({ pool, hasher: await testHasher() }) };
}

/** The accounts (store, signup, login) an in-process app authenticates against (cheap hashing), and its readiness checks. */
export async function testAccounts(
  pool: pg.Pool,
  redis: RedisClient,
  config: Pick<BackendConfig, "redisPrefix" | "loginLimits" | "signupLimits" | "hashQueue">,
) {
  const accounts = createAccounts({
    pool,
    redis,
    hasher: await testHasher(),
    keyPrefix: config.redisPrefix,
    deviceSecret: TEST_DEVICE_SECRET,
    loginLimits: config.loginLimits,
    signupLimits: config.signupLimits,
    hashQueue: config.hashQueue,
  });
  return { ...accounts, readiness: { postgres: () => pool.query("SELECT 1"), redis: () => redis.ping() } };
}

/**
 * Signs up a fresh user (unless `credentials` are given) and logs in through `target`:
 * the credentials and the login's response, for a client of either backend to read.
 */
export async function signupAndLogin(
  target: Express | string,
  credentials: { username: string; password: string } | undefined,
  fresh: { prefix: string; password: string },
) {
  const creds = credentials ?? { username: uniqueName(fresh.prefix), password: fresh.password };
  if (!credentials)
    await request(target as string)
      .post("/auth/signup")
      .send(creds)
      .expect(201);
  const res = await request(target as string)
    .post("/auth/login")
    .send(creds)
    .expect(200);
  return { credentials: creds, userId: res.body.user.id as string, res };
}
