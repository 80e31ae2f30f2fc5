import type { ReloginCounts } from "../load.js";
import type { FaultSummary, WindowSummary } from "../summary.js";

/** Fixtures for the pure tests of the fault scenarios: plausible figures, changed per test. */
export const windowOf = (ok: number, fail: number, p50: number, p99: number): WindowSummary => ({
  counts: { ok, fail, unknown: 0 },
  latency: { count: ok + fail, p50, p90: p99, p99, max: p99 },
});

export function summaryOf(change: Partial<FaultSummary> = {}): FaultSummary {
  return {
    counts: { ok: 380, fail: 20, unknown: 0 },
    timeline: [{ t: 0, ok: 40, fail: 0, unknown: 0, rps: 40, p99: 30 }],
    before: windowOf(80, 0, 20, 40),
    during: windowOf(140, 20, 30, 1100),
    after: windowOf(160, 0, 20, 40),
    errors: { "503 store_unavailable": 20 },
    firstErrorDuringFaultMs: 100,
    lastErrorDuringFaultMs: 1800,
    lastErrorAfterHealMs: null,
    ...change,
  };
}

export const noRelogin = (): ReloginCounts => ({ users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 });

export const timing = (label: string, ms: number) => ({ label, plannedMs: ms, startedMs: ms, doneMs: ms + 5 });
