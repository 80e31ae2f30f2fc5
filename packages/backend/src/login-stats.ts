import type { SingletonRun } from "@statelab/lease";
import type { RedisClient } from "./clients.js";

const MINUTE_MS = 60_000;
/** Per-minute counters stay in Redis this long: a rollup may be down for that long and lose nothing. */
const KEEP_SECONDS = 3600;
/** Each rollup rewrites this many recent minutes (the current one included), so a missed run heals. */
const MINUTES_PER_ROLLUP = 10;

export interface LoginStats {
  /** Counts one login attempt in the current minute; best effort, never fails the login. */
  record(isOk: boolean): void;
  /**
   * The singleton job: copies the recent minutes' counts from Redis to the
   * login_stats table in one fenced write. Idempotent (rows are set, not added),
   * so only a stale holder could do harm, and the fence refuses it. Returns the minutes written.
   */
  rollup(run: SingletonRun): Promise<number>;
}

/** Login counts per minute: every instance counts in Redis, the lease holder rolls them up into Postgres. */
export function createLoginStats(options: { redis: RedisClient; keyPrefix: string }): LoginStats {
  const { redis } = options;
  const keyOf = (minute: number) => `${options.keyPrefix}login-stats:${minute}`;
  return {
    record(isOk) {
      const key = keyOf(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS);
      redis
        .multi()
        .hIncrBy(key, isOk ? "succeeded" : "failed", 1)
        .expire(key, KEEP_SECONDS)
        .exec()
        .catch(() => {});
    },
    async rollup(run) {
      const current = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
      const minutes = Array.from({ length: MINUTES_PER_ROLLUP }, (_, i) => current - i * MINUTE_MS);
      const counts = await Promise.all(minutes.map((minute) => redis.hGetAll(keyOf(minute))));
      const rows = minutes.flatMap((minute, i) => {
        const hash = counts[i] ?? {};
        const succeeded = Number(hash.succeeded ?? 0);
        const failed = Number(hash.failed ?? 0);
        return succeeded + failed === 0 ? [] : [{ minute, succeeded, failed }];
      });
      if (rows.length === 0 || !run.isValid()) return 0;
      await run.write((client) =>
        client.query(
          `INSERT INTO login_stats (deployment, minute, succeeded, failed, fence_token)
           SELECT $5, to_timestamp(m / 1000.0), s, f, $4 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS t(m, s, f)
           ON CONFLICT (deployment, minute) DO UPDATE SET succeeded = EXCLUDED.succeeded, failed = EXCLUDED.failed,
             fence_token = EXCLUDED.fence_token, rolled_up_at = now()`,
          [
            rows.map((r) => r.minute),
            rows.map((r) => r.succeeded),
            rows.map((r) => r.failed),
            run.token,
            options.keyPrefix,
          ],
        ),
      );
      return rows.length;
    },
  };
}
