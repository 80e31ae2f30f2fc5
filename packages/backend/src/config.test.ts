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
