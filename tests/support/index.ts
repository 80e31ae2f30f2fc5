import { randomBytes } from "node:crypto";
import { createPgPool, createRedisClient, type RedisClient } from "@statelab/backend";
import { createLogger } from "@statelab/http";
import { createPasswordHasher, createPgUserStore, type PasswordHasher, TEST_ONLY_PARAMS } from "@statelab/users";
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

export async function testUserStore() {
  const pool = await testPool();
  return { pool, users: createPgUserStore({ pool, hasher: await testHasher() }) };
}
