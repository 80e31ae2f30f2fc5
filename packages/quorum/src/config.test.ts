import { describe, expect, it } from "vitest";
import { presets, resolveQuorum } from "./config.js";
import { QuorumConfigError } from "./errors.js";
import { compareVersions } from "./version.js";

describe("presets", () => {
  it("fill R and W from N as the seed names them", () => {
    expect(presets["read-one-write-all"](3)).toEqual({ n: 3, r: 1, w: 3 });
    expect(presets["read-all-write-one"](3)).toEqual({ n: 3, r: 3, w: 1 });
    expect(presets.majority(5)).toEqual({ n: 5, r: 3, w: 3 });
    expect(presets.majority(4)).toEqual({ n: 4, r: 3, w: 3 });
    expect(presets["two-thirds"](7)).toEqual({ n: 7, r: 3, w: 5 });
    expect(presets["two-thirds"](3)).toEqual({ n: 3, r: 2, w: 3 });
  });

  it("every preset overlaps read and write quorums (R + W > N) for N = 1…9", () => {
    for (const preset of Object.values(presets)) {
      for (let n = 1; n <= 9; n++) expect(resolveQuorum(preset(n)).mayReadStale).toBe(false);
    }
  });
});

describe("resolveQuorum", () => {
  it("flags R + W ≤ N as stale-read prone, and W ≤ N/2 as writable on both sides of a split", () => {
    expect(resolveQuorum({ n: 3, r: 1, w: 1 })).toMatchObject({
      mayReadStale: true,
      splitBrainWrites: true,
      versionQuorum: 1,
    });
    expect(resolveQuorum({ n: 3, r: 3, w: 1 })).toMatchObject({ mayReadStale: false, versionQuorum: 3 });
    expect(resolveQuorum({ n: 3, r: 2, w: 2 })).toMatchObject({
      mayReadStale: false,
      splitBrainWrites: false,
      versionQuorum: 2,
    });
    expect(resolveQuorum({ n: 7, r: 1, w: 7 })).toMatchObject({ mayReadStale: false, versionQuorum: 1 });
  });

  it.each([
    [{ n: 3, r: 4, w: 2 }, /R = 4 is more than the 3 replicas/],
    [{ n: 3, r: 2, w: 5 }, /W = 5 is more than the 3 replicas/],
    [{ n: 3, r: 0, w: 2 }, /R must be a whole number ≥ 1 \(got 0\)/],
    [{ n: 3, r: 2, w: 0 }, /W must be a whole number ≥ 1/],
    [{ n: 0, r: 1, w: 1 }, /N must be a whole number ≥ 1/],
    [{ n: 3, r: 1.5, w: 2 }, /R must be a whole number/],
  ])("%o is rejected with invalid_config", (spec, message) => {
    expect(() => resolveQuorum(spec)).toThrow(QuorumConfigError);
    expect(() => resolveQuorum(spec)).toThrow(message);
    try {
      resolveQuorum(spec);
    } catch (error) {
      expect((error as QuorumConfigError).code).toBe("invalid_config");
    }
  });

  it("names every problem at once", () => {
    expect(() => resolveQuorum({ n: 2, r: 0, w: 3 })).toThrow(/R must.*; W = 3 is more/);
  });
});

describe("compareVersions", () => {
  it("orders by counter, then writer id; nothing is below everything", () => {
    expect(compareVersions({ counter: 2, writer: "a" }, { counter: 1, writer: "z" })).toBeGreaterThan(0);
    expect(compareVersions({ counter: 2, writer: "a" }, { counter: 2, writer: "b" })).toBeLessThan(0);
    expect(compareVersions(null, { counter: 0, writer: "" })).toBeLessThan(0);
    expect(compareVersions(null, null)).toBe(0);
  });
});
