import { type AppError, RateLimitedError } from "@statelab/http";
import type { RedisClientType } from "redis";
import { beforeAll, describe, expect, it } from "vitest";
import { testRedis, uniqueName, uniquePrefix } from "../../../tests/support/index.js";
import { createLoginThrottle } from "./login-throttle.js";

let redis: RedisClientType;
beforeAll(async () => {
  redis = await testRedis();
});

const failTimes = async (throttle: ReturnType<typeof createLoginThrottle>, n: number, user: string, ip: string) => {
  for (let i = 0; i < n; i++) await throttle.recordFailure(user, ip);
};

describe("createLoginThrottle (A5)", () => {
  it("10 failures per username + IP pass; the 11th attempt → 429 with a retry time", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix() });
    const user = uniqueName();
    await failTimes(throttle, 9, user, "10.0.0.1");
    await expect(throttle.check(user, "10.0.0.1")).resolves.toBeUndefined();
    await throttle.recordFailure(user, "10.0.0.1");
    const error = await throttle.check(user, "10.0.0.1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).status).toBe(429);
    expect(Number((error as AppError).headers["Retry-After"])).toBeGreaterThan(800);
  });

  it("counts the normalised username: ALICE and ａｌｉｃｅ share a counter", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerUser: 2 });
    const user = uniqueName("alice");
    await throttle.recordFailure(user.toUpperCase(), "10.0.0.2");
    await throttle.recordFailure(user, "10.0.0.2");
    await expect(throttle.check(user, "10.0.0.2")).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("a success resets the username + IP counter", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerUser: 3 });
    const user = uniqueName();
    await failTimes(throttle, 2, user, "10.0.0.3");
    await throttle.recordSuccess(user, "10.0.0.3");
    await failTimes(throttle, 2, user, "10.0.0.3");
    await expect(throttle.check(user, "10.0.0.3")).resolves.toBeUndefined();
  });

  it("one IP spraying many usernames hits the per-IP limit", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerIp: 5 });
    for (let i = 0; i < 5; i++) await throttle.recordFailure(uniqueName(), "10.0.0.4");
    await expect(throttle.check(uniqueName(), "10.0.0.4")).rejects.toBeInstanceOf(RateLimitedError);
    await expect(throttle.check(uniqueName(), "10.0.0.5")).resolves.toBeUndefined();
  });

  it("counters live in the shared Redis: a second throttle (another instance) sees them", async () => {
    const keyPrefix = uniquePrefix();
    const a = createLoginThrottle({ redis, keyPrefix, maxFailuresPerUser: 2 });
    const b = createLoginThrottle({ redis, keyPrefix, maxFailuresPerUser: 2 });
    const user = uniqueName();
    await a.recordFailure(user, "10.0.0.6");
    await b.recordFailure(user, "10.0.0.6");
    await expect(b.check(user, "10.0.0.6")).rejects.toBeInstanceOf(RateLimitedError);
    const keys = await redis.keys(`${keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  it("refuses nonsense options when built", () => {
    expect(() => createLoginThrottle({ redis, keyPrefix: "x:", maxFailuresPerUser: 0 })).toThrow(TypeError);
  });
});
