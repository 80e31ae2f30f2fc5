import { AppError, RateLimitedError, ServiceUnavailableError } from "@statelab/http";
import type { RedisClientType as RedisClient } from "redis";

/** One fixed-window counter: at most `limit` points per `windowMs`, counted from its first point. */
export interface Counter {
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Exponential lockout on one of the counters: when it is used up, the next attempt locks
 * for `baseMs × 2^(strikes − 1)` (at most `maxMs`) and the counter starts again; strikes
 * are remembered for `memoryMs` after the last lockout.
 */
export interface Lockout {
  /** Index in the reserved counters of the one that locks. */
  counter: number;
  lockKey: string;
  strikesKey: string;
  baseMs: number;
  maxMs: number;
  memoryMs: number;
}

/**
 * Checks every counter and, only when none is used up, takes one point from each, in one
 * script: no request can pass the check between another's check and its count, so K
 * parallel attempts get at most `limit` points (A7). A counter that is used up answers
 * with its remaining window; the locking counter starts (or is inside) a lockout instead.
 */
const RESERVE = `
local n = tonumber(ARGV[1])
local lockAt = tonumber(ARGV[2 + 2 * n])
if lockAt > 0 then
  local locked = redis.call('PTTL', KEYS[n + 1])
  if locked > 0 then return locked end
end
for i = 1, n do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[2 * i]) then
    if i == lockAt then
      local strikes = redis.call('INCR', KEYS[n + 2])
      redis.call('PEXPIRE', KEYS[n + 2], ARGV[5 + 2 * n])
      local ms = math.min(tonumber(ARGV[3 + 2 * n]) * 2 ^ (strikes - 1), tonumber(ARGV[4 + 2 * n]))
      redis.call('SET', KEYS[n + 1], strikes, 'PX', math.floor(ms))
      redis.call('DEL', KEYS[i])
      return math.floor(ms)
    end
    local left = redis.call('PTTL', KEYS[i])
    if left < 1 then left = tonumber(ARGV[1 + 2 * i]) end
    return left
  end
end
for i = 1, n do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[1 + 2 * i]) end
end
return 0
`;

/**
 * Gives points back (a login that succeeded, an attempt that never reached a verdict).
 * Never below zero, and never on a key whose window has ended: a DECR there would create
 * a key without a TTL.
 */
const RELEASE = `
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
`;

export interface Counters {
  /** Takes a point from each counter, or throws RateLimitedError (429 + Retry-After) naming the wait. */
  reserve(counters: readonly Counter[], lockout?: Lockout): Promise<void>;
  release(keys: readonly string[]): Promise<void>;
}

/**
 * A limit that cannot be read fails closed: Redis trouble becomes 503 store_unavailable,
 * so taking the store away never buys an attacker unlimited attempts.
 */
export async function failClosed<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ServiceUnavailableError("store_unavailable", error);
  }
}

/** Fixed-window counters in the shared Redis (every instance counts the same points), reserved atomically. */
export function createCounters(redis: RedisClient): Counters {
  return {
    reserve: (counters, lockout) =>
      failClosed(async () => {
        const keys = counters.map((counter) => counter.key);
        const args = [String(counters.length)];
        for (const counter of counters) args.push(String(counter.limit), String(counter.windowMs));
        if (lockout) {
          keys.push(lockout.lockKey, lockout.strikesKey);
          args.push(
            String(lockout.counter + 1),
            String(lockout.baseMs),
            String(lockout.maxMs),
            String(lockout.memoryMs),
          );
        } else {
          args.push("0", "0", "0", "0");
        }
        const retryAfterMs = Number(await redis.eval(RESERVE, { keys, arguments: args }));
        if (retryAfterMs > 0) throw new RateLimitedError(retryAfterMs / 1000);
      }),
    release: (keys) =>
      failClosed(async () => {
        if (keys.length > 0) await redis.eval(RELEASE, { keys: [...keys], arguments: [] });
      }),
  };
}
