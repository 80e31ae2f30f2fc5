import { describe, expect, it } from "vitest";
import { leaseTiming, validUntil } from "./timing.js";

describe("leaseTiming", () => {
  it("renews every ttl/3 and lets the holder act until sentAt + ttl − (1 % of ttl + 2 ms)", () => {
    const timing = leaseTiming(15_000);
    expect(timing).toEqual({ ttlMs: 15_000, renewEveryMs: 5000, driftMs: 152, validForMs: 14_848 });
    expect(validUntil(timing, 1000)).toBe(15_848);
  });

  it("two renewals fit before the local deadline, so one failed renewal is not yet a lost lease at Redis", () => {
    for (const ttl of [30, 300, 1500, 15_000, 600_000]) {
      const timing = leaseTiming(ttl);
      expect(2 * timing.renewEveryMs).toBeLessThan(timing.validForMs);
      expect(timing.validForMs).toBeLessThan(ttl);
    }
  });

  it("a zero drift factor still keeps the fixed 2 ms allowance", () => {
    expect(leaseTiming(1000, 0).validForMs).toBe(998);
  });

  it("bad ttl or drift → invalid_lease_options at construction", () => {
    for (const ttl of [0, 29, 1.5, Number.NaN, 3_600_001]) {
      expect(() => leaseTiming(ttl)).toThrow(expect.objectContaining({ code: "invalid_lease_options" }));
    }
    expect(() => leaseTiming(1000, 0.5)).toThrow(expect.objectContaining({ code: "invalid_lease_options" }));
    expect(() => leaseTiming(1000, -0.1)).toThrow(expect.objectContaining({ code: "invalid_lease_options" }));
  });
});
