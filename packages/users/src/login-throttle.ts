import { AppError, RateLimitedError, ServiceUnavailableError } from "@statelab/http";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RedisClientType } from "redis";
import { usernameKey } from "./credentials-schema.js";

export interface LoginThrottleOptions {
  redis: RedisClientType;
  /** Per deployment, so two labs (or two test files) never share counters. */
  keyPrefix: string;
  /** Failed logins allowed per username + IP in the window; the next attempt gets 429. */
  maxFailuresPerUser?: number;
  /** Failed logins allowed per IP across all usernames (password spraying). */
  maxFailuresPerIp?: number;
  windowSeconds?: number;
}

export interface LoginThrottle {
  /** Throws RateLimitedError (429 + Retry-After) while either counter is exhausted. */
  check(username: string, ip: string): Promise<void>;
  recordFailure(username: string, ip: string): Promise<void>;
  /** A successful login clears the username + IP counter (not the per-IP one). */
  recordSuccess(username: string, ip: string): Promise<void>;
}

/**
 * Failed-login counters in the shared Redis, so every instance behind the
 * proxy sees the same count. Keys use the normalised username, so `Alice` and
 * `ａｌｉｃｅ` share one counter. If Redis is down it fails closed (503): an
 * attacker must not get unlimited guesses by taking the store away.
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const windowSeconds = options.windowSeconds ?? 15 * 60;
  const perUser = options.maxFailuresPerUser ?? 10;
  const perIp = options.maxFailuresPerIp ?? 100;
  for (const [name, value] of Object.entries({ windowSeconds, perUser, perIp })) {
    if (!Number.isInteger(value) || value < 1)
      throw new TypeError(`createLoginThrottle: ${name} must be a positive integer`);
  }
  const limiter = (suffix: string, points: number) =>
    new RateLimiterRedis({
      storeClient: options.redis,
      useRedisPackage: true,
      keyPrefix: `${options.keyPrefix}login-fail:${suffix}`,
      points,
      duration: windowSeconds,
    });
  const byUser = limiter("user", perUser);
  const byIp = limiter("ip", perIp);
  const userKey = (username: string, ip: string) => `${usernameKey(username)}|${ip}`;

  async function guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof RateLimiterRes) throw new RateLimitedError(error.msBeforeNext / 1000);
      throw new ServiceUnavailableError("store_unavailable", error);
    }
  }

  return {
    check: (username, ip) =>
      guard(async () => {
        const [user, address] = await Promise.all([byUser.get(userKey(username, ip)), byIp.get(ip)]);
        for (const [res, points] of [
          [user, perUser],
          [address, perIp],
        ] as const) {
          if (res && res.consumedPoints >= points) throw new RateLimitedError(res.msBeforeNext / 1000);
        }
      }),
    recordFailure: (username, ip) =>
      guard(async () => {
        // Counting past the limit is expected here; the next check() answers 429.
        await Promise.all([byUser.penalty(userKey(username, ip)), byIp.penalty(ip)]);
      }),
    recordSuccess: (username, ip) =>
      guard(async () => {
        await byUser.delete(userKey(username, ip));
      }),
  };
}
