import { describe, expect, it } from "vitest";
import { faultCell, recoveryAfterHeal } from "./cells.js";
import type { FaultSummary } from "./summary.js";

const window = { counts: { ok: 0, fail: 0, unknown: 0 }, latency: { count: 0, p50: 0, p90: 0, p99: 0, max: 0 } };
const summary = (over: Partial<FaultSummary>): FaultSummary => ({
  counts: { ok: 90, fail: 8, unknown: 2 },
  timeline: [],
  before: window,
  during: window,
  after: window,
  errors: { "503 store_unavailable": 8, "no answer timeout": 2 },
  firstErrorDuringFaultMs: null,
  lastErrorDuringFaultMs: null,
  lastErrorAfterHealMs: null,
  ...over,
});
const relogin = { users: 2, unauthorized: 3, firstAtMs: 10, succeeded: 2, failed: 0 };

describe("fault matrix cells", () => {
  it("counts errors over all ops, names their kinds, and the users logged out", () => {
    const cell = faultCell("redis-down", "stateful", { summary: summary({}), relogin, users: 15 }, "r");
    expect(cell).toEqual({
      fault: "redis-down",
      stack: "stateful",
      errors: "10 of 100 (503 store_unavailable × 8, no answer timeout × 2)",
      recovery: "r",
      lost: "2 of 15 users logged out",
    });
  });

  it("says 0 without a breakdown when nothing failed", () => {
    const clean = summary({ counts: { ok: 50, fail: 0, unknown: 0 }, errors: {} });
    expect(faultCell("crash", "stateless", { summary: clean, relogin, users: 3 }, "").errors).toBe("0 of 50");
  });

  it("recovery reads the last error after the heal", () => {
    expect(recoveryAfterHeal(summary({ lastErrorAfterHealMs: 1234 }), "the restart")).toBe(
      "last error 1.2 s after the restart",
    );
    expect(recoveryAfterHeal(summary({}), "the heal")).toBe("no error after the heal");
  });
});
