import { createClient } from "redis";
import { maxOf, minOf } from "../stats.js";

export type LabRedisClient = ReturnType<typeof createClient>;

/**
 * A client of a Redis the lab runs, for a scenario to look at the keys its
 * stacks wrote; closed when `work` settles. No reconnects: a scenario that
 * loses Redis here should fail loudly, not hang.
 */
export async function withRedis<T>(url: string, work: (redis: LabRedisClient) => Promise<T>): Promise<T> {
  const redis = createClient({ url, socket: { connectTimeout: 3000, reconnectStrategy: false } });
  // Errors reach the caller as rejected commands; without a listener node-redis would crash the process.
  redis.on("error", () => {});
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    if (redis.isOpen) await redis.close();
  }
}

/**
 * Every key matching `pattern` that exists now. SCAN, not KEYS: KEYS blocks a
 * shared Redis for the whole keyspace. A key SCAN saw may have expired since
 * without being reclaimed yet; EXISTS expires it lazily, so it is left out.
 */
export async function liveKeys(redis: LabRedisClient, pattern: string): Promise<string[]> {
  const seen = new Set<string>();
  for await (const batch of redis.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
    for (const key of batch) seen.add(String(key));
  }
  const keys = [...seen];
  const exists = await Promise.all(keys.map((key) => redis.exists(key)));
  return keys.filter((_, i) => exists[i] === 1);
}

/** What Redis says about a set of keys: how many, bytes each (MEMORY USAGE), TTLs (PTTL). */
export interface KeyStats {
  count: number;
  /** Mean MEMORY USAGE in bytes; null for no keys. */
  avgBytes: number | null;
  /** Smallest and largest PTTL among keys that have one, ms; null when none has. */
  minTtlMs: number | null;
  maxTtlMs: number | null;
  /** Keys without a TTL (PTTL -1): they live until deleted. */
  withoutTtl: number;
}

export async function keyStats(redis: LabRedisClient, keys: readonly string[]): Promise<KeyStats> {
  const [bytes, ttls] = await Promise.all([
    Promise.all(keys.map((key) => redis.memoryUsage(key))),
    Promise.all(keys.map((key) => redis.pTTL(key))),
  ]);
  const sizes = bytes.filter((size): size is number => typeof size === "number");
  const withTtl = ttls.filter((ttl) => ttl >= 0);
  return {
    count: keys.length,
    avgBytes: sizes.length === 0 ? null : Math.round(sizes.reduce((sum, size) => sum + size, 0) / sizes.length),
    minTtlMs: minOf(withTtl),
    maxTtlMs: maxOf(withTtl),
    withoutTtl: ttls.filter((ttl) => ttl === -1).length,
  };
}
