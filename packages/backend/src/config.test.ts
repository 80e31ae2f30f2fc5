import { loadConfig } from "@statelab/http";
import { describe, expect, it } from "vitest";
import { backendConfig, backendEnvShape } from "./config.js";

const load = (env: Record<string, string>) => backendConfig("app", loadConfig(backendEnvShape(4000), env));

describe("the lease-guarded job's settings", () => {
  it("default: the login-stats rollup every 60 s under a 15 s lease, fence checked", () => {
    expect(load({})).toMatchObject({ loginStatsEverySeconds: 60, leaseTtlMs: 15_000, leaseFence: true });
  });

  it("LOGIN_STATS_EVERY=0 turns the job off; LEASE_FENCE=false is the lab's unsafe mode", () => {
    expect(load({ LOGIN_STATS_EVERY: "0", LEASE_FENCE: "false", LEASE_TTL_MS: "900" })).toMatchObject({
      loginStatsEverySeconds: 0,
      leaseTtlMs: 900,
      leaseFence: false,
    });
  });

  it("bad values → one error naming each variable", () => {
    const bad = () => load({ LEASE_TTL_MS: "100", LOGIN_STATS_EVERY: "-1", LEASE_FENCE: "maybe" });
    expect(bad).toThrow(expect.objectContaining({ message: expect.stringContaining("LEASE_TTL_MS") }));
    expect(bad).toThrow(expect.objectContaining({ message: expect.stringContaining("LOGIN_STATS_EVERY") }));
    expect(bad).toThrow(expect.objectContaining({ message: expect.stringContaining("LEASE_FENCE") }));
  });
});

describe("TRUST_PROXY: only the proxy hops, never a rule a direct client can satisfy (A5)", () => {
  it("off by default; exact addresses and CIDRs are taken", () => {
    expect(load({}).trustProxy).toBe(false);
    expect(load({ TRUST_PROXY: "false" }).trustProxy).toBe(false);
    expect(load({ TRUST_PROXY: "127.0.0.2" }).trustProxy).toBe("127.0.0.2");
    expect(load({ TRUST_PROXY: "10.0.0.5, 10.1.0.0/16,fd00::/8" }).trustProxy).toBe("10.0.0.5,10.1.0.0/16,fd00::/8");
  });

  it.each(["true", "loopback", "uniquelocal", "1", "2", "127.0.0.1/33", "10.0.0.5, loopback", "*"])(
    "%s → refused at start, naming the variable",
    (value) => {
      expect(() => load({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY=.*proxy's own addresses/);
    },
  );
});

describe("the limits and the hash queue", () => {
  it("default to the documented values", () => {
    const config = load({});
    expect(config.loginLimits).toEqual({
      maxFailuresPerUser: 10,
      maxFailuresPerDevice: 10,
      maxFailuresPerIp: 100,
      maxFailuresPerAccount: 20,
      windowSeconds: 900,
      maxLockoutSeconds: 86_400,
    });
    expect(config.signupLimits).toEqual({ maxPerIp: 30, maxGlobal: 600, windowSeconds: 900 });
    expect(config.hashQueue).toMatchObject({ maxQueued: 32, maxPerClient: 4, maxWaitMs: 1000 });
    expect(config.hashQueue.concurrency).toBeGreaterThanOrEqual(1);
    expect(config.hashQueue.concurrency).toBeLessThanOrEqual(4);
  });
});
