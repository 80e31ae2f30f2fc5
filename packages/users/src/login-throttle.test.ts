import path from "node:path";
import { type AppError, RateLimitedError } from "@statelab/http";
import { projectRoot } from "@statelab/infra";
import type { RedisClientType } from "redis";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { testRedis, uniqueName, uniquePrefix } from "../../../tests/support/index.js";
import { spawnTsx } from "../../../tests/support/processes.js";
import { createLoginThrottle, type LoginAttempt, type LoginThrottle } from "./login-throttle.js";

let redis: RedisClientType;
beforeAll(async () => {
  redis = await testRedis();
});

const attempt = (username: string, ip: string, deviceId: string | null = null): LoginAttempt => ({
  username,
  ip,
  deviceId,
});

/** `n` attempts that fail (they keep their points). */
const fail = async (throttle: LoginThrottle, n: number, at: (i: number) => LoginAttempt) => {
  for (let i = 0; i < n; i++) await throttle.reserve(at(i));
};

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as AppError,
  );

describe("createLoginThrottle (A5)", () => {
  it("10 failures per username + IP pass; the 11th attempt → 429 with a retry time", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix() });
    const user = uniqueName();
    await fail(throttle, 10, () => attempt(user, "10.0.0.1"));
    const error = await refusal(throttle.reserve(attempt(user, "10.0.0.1")));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error?.status).toBe(429);
    expect(Number(error?.headers["Retry-After"])).toBeGreaterThan(800);
  });

  it("counts the normalised username: ALICE and ａｌｉｃｅ share a counter", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerUser: 2 });
    const user = uniqueName("alice");
    await throttle.reserve(attempt(user.toUpperCase(), "10.0.0.2"));
    await throttle.reserve(attempt(user, "10.0.0.2"));
    await expect(throttle.reserve(attempt(user, "10.0.0.2"))).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("a success resets the username + IP counter", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerUser: 3 });
    const user = uniqueName();
    await fail(throttle, 2, () => attempt(user, "10.0.0.3"));
    await (await throttle.reserve(attempt(user, "10.0.0.3"))).succeeded();
    await fail(throttle, 3, () => attempt(user, "10.0.0.3"));
    await expect(throttle.reserve(attempt(user, "10.0.0.3"))).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("one IP spraying many usernames hits the per-IP limit; another IP does not", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerIp: 5 });
    await fail(throttle, 5, () => attempt(uniqueName(), "10.0.0.4"));
    await expect(throttle.reserve(attempt(uniqueName(), "10.0.0.4"))).rejects.toBeInstanceOf(RateLimitedError);
    await expect(throttle.reserve(attempt(uniqueName(), "10.0.0.5"))).resolves.toBeDefined();
  });

  it("per account across every address: 20 failures from 20 addresses, then the account locks (429) for any address", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix() });
    const user = uniqueName();
    await fail(throttle, 20, (i) => attempt(user, `198.51.100.${i + 1}`));
    for (const ip of ["198.51.100.99", "203.0.113.1"]) {
      const error = await refusal(throttle.reserve(attempt(user, ip)));
      expect(error).toBeInstanceOf(RateLimitedError);
      // The first lockout lasts one window (15 min).
      expect(Number(error?.headers["Retry-After"])).toBeGreaterThan(890);
    }
    // The throttle never looks the account up: an unknown username locks exactly the same (no enumeration).
    expect((await throttle.status(user)).lockedForSeconds).toBeGreaterThan(890);
  });

  it("each further lockout doubles: 1 s, then 2 s (window of 1 s)", async () => {
    const throttle = createLoginThrottle({
      redis,
      keyPrefix: uniquePrefix(),
      maxFailuresPerAccount: 3,
      windowSeconds: 1,
    });
    const user = uniqueName();
    const lockOf = async () => {
      await fail(throttle, 3, (i) => attempt(user, `192.0.2.${i + 1}`));
      expect(await refusal(throttle.reserve(attempt(user, "192.0.2.50")))).toBeInstanceOf(RateLimitedError);
    };
    await lockOf();
    const first = await throttle.status(user);
    expect(first.strikes).toBe(1);
    expect(first.lockedForSeconds).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await lockOf();
    const second = await throttle.status(user);
    expect(second.strikes).toBe(2);
    expect(second.lockedForSeconds).toBe(2);
  });

  it("consume-then-verify: 40 attempts at once get exactly 10 points; the other 30 → 429 (A7)", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix() });
    const user = uniqueName();
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => throttle.reserve(attempt(user, "10.0.0.7"))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    for (const r of results.filter((r) => r.status === "rejected")) expect(r.reason).toBeInstanceOf(RateLimitedError);
  });

  it("a known device counts on its own: the account's lockout does not stop it, its own limit does", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerAccount: 2 });
    const user = uniqueName();
    await fail(throttle, 2, (i) => attempt(user, `198.51.100.${i + 1}`));
    await expect(throttle.reserve(attempt(user, "198.51.100.9"))).rejects.toBeInstanceOf(RateLimitedError);
    // The owner's device (a genuine device cookie) still gets its attempts…
    await fail(throttle, 10, () => attempt(user, "198.51.100.9", "device-a"));
    // … up to its own limit, which no other device shares.
    await expect(throttle.reserve(attempt(user, "198.51.100.9", "device-a"))).rejects.toBeInstanceOf(RateLimitedError);
    await expect(throttle.reserve(attempt(user, "198.51.100.9", "device-b"))).resolves.toBeDefined();
  });

  it("cancelled() gives every point back (an attempt that got no verdict is not a failure)", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerUser: 2 });
    const user = uniqueName();
    for (let i = 0; i < 5; i++) await (await throttle.reserve(attempt(user, "10.0.0.8"))).cancelled();
    await fail(throttle, 2, () => attempt(user, "10.0.0.8"));
    await expect(throttle.reserve(attempt(user, "10.0.0.8"))).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("clear(username) — the admin command — ends the lockout and the failures from every address", async () => {
    const throttle = createLoginThrottle({ redis, keyPrefix: uniquePrefix(), maxFailuresPerAccount: 3 });
    const user = uniqueName();
    await fail(throttle, 3, (i) => attempt(user, `10.9.0.${i + 1}`));
    await expect(throttle.reserve(attempt(user, "10.9.0.1"))).rejects.toBeInstanceOf(RateLimitedError);
    expect(await throttle.clear(user.toUpperCase())).toBeGreaterThan(0);
    expect(await throttle.status(user)).toEqual({ lockedForSeconds: 0, strikes: 0, failures: 0 });
    await expect(throttle.reserve(attempt(user, "10.9.0.1"))).resolves.toBeDefined();
  });

  it("counters live in the shared Redis: a second throttle (another instance) sees them", async () => {
    const keyPrefix = uniquePrefix();
    const a = createLoginThrottle({ redis, keyPrefix, maxFailuresPerUser: 2 });
    const b = createLoginThrottle({ redis, keyPrefix, maxFailuresPerUser: 2 });
    const user = uniqueName();
    await a.reserve(attempt(user, "10.0.0.6"));
    await b.reserve(attempt(user, "10.0.0.6"));
    await expect(b.reserve(attempt(user, "10.0.0.6"))).rejects.toBeInstanceOf(RateLimitedError);
  });

  it("refuses nonsense options when built", () => {
    expect(() => createLoginThrottle({ redis, keyPrefix: "x:", maxFailuresPerUser: 0 })).toThrow(TypeError);
    expect(() => createLoginThrottle({ redis, keyPrefix: "x:", windowSeconds: 1.5 })).toThrow(TypeError);
  });
});

describe("npm run throttle (the admin command)", () => {
  const run = async (prefix: string, ...args: string[]) => {
    const cli = spawnTsx(path.join(projectRoot, "packages/backend/src/throttle-cli.ts"), args, {
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: prefix,
    });
    return { code: await cli.exited, output: cli.output() };
  };

  it("status shows a lockout, clear ends it; a bad command line exits 2", async () => {
    const keyPrefix = uniquePrefix();
    const throttle = createLoginThrottle({ redis, keyPrefix, maxFailuresPerAccount: 2 });
    const user = uniqueName();
    await fail(throttle, 2, (i) => attempt(user, `10.8.0.${i + 1}`));
    await expect(throttle.reserve(attempt(user, "10.8.0.9"))).rejects.toBeInstanceOf(RateLimitedError);
    const status = await run(keyPrefix, "status", user);
    expect(status.code).toBe(0);
    expect(status.output).toMatch(/locked for \d+ s more/);
    const clear = await run(keyPrefix, "clear", user);
    expect(clear.code, clear.output).toBe(0);
    await expect(throttle.reserve(attempt(user, "10.8.0.9"))).resolves.toBeDefined();
    expect((await run(keyPrefix, "unlock")).code).toBe(2);
  }, 30_000);
});
