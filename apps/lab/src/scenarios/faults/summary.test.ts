import { describe, expect, it } from "vitest";
import type { Outcome } from "../../compare/results.js";
import type { Op } from "../../load/index.js";
import { describeErrors, firstCleanSecondAfter, summarizeFault, timelineCharts, windowLatency } from "./summary.js";

let nextI = 0;
function op(t: number, outcome: Outcome, extra: Partial<Op> = {}): Op {
  const status = outcome === "ok" ? 200 : outcome === "fail" ? 503 : 0;
  return { i: nextI++, t, latencyMs: 10, status, outcome, instance: "a-1", code: null, ...extra };
}

describe("summarizeFault", () => {
  const ops = [
    op(100, "ok"),
    op(900, "fail", { code: "store_unavailable" }),
    op(1000, "ok"),
    op(1200, "fail", { code: "store_unavailable" }),
    op(1800, "unknown", { status: 0, code: "timeout", latencyMs: 4000 }),
    op(1900, "ok"),
    op(2000, "ok"),
    op(2500, "fail", { status: 401, code: "session_expired" }),
    op(2600, "ok"),
  ];
  const summary = summarizeFault(ops, { faultMs: 1000, healMs: 2000 });

  it("splits the ops at the fault and the heal: before [0, fault), during [fault, heal), after [heal, end]", () => {
    expect(summary.counts).toEqual({ ok: 5, fail: 3, unknown: 1 });
    expect(summary.before.counts).toEqual({ ok: 1, fail: 1, unknown: 0 });
    expect(summary.during.counts).toEqual({ ok: 2, fail: 1, unknown: 1 });
    expect(summary.after.counts).toEqual({ ok: 2, fail: 1, unknown: 0 });
  });

  it("times errors from the fault within the fault only, and from the heal to the end", () => {
    // The failure at 900 ms was scheduled before the fault and is not counted as the fault's.
    expect(summary.firstErrorDuringFaultMs).toBe(200);
    expect(summary.lastErrorDuringFaultMs).toBe(800);
    expect(summary.lastErrorAfterHealMs).toBe(500);
  });

  it("counts errors by status and code", () => {
    expect(summary.errors).toEqual({
      "503 store_unavailable": 2,
      "no answer timeout": 1,
      "401 session_expired": 1,
    });
    expect(describeErrors(summary.errors)).toBe(
      "503 store_unavailable × 2, no answer timeout × 1, 401 session_expired × 1",
    );
    expect(describeErrors({})).toBe("none");
  });

  it("no errors → nulls, not zeros", () => {
    const clean = summarizeFault([op(0, "ok"), op(1500, "ok")], { faultMs: 1000, healMs: 2000 });
    expect([clean.firstErrorDuringFaultMs, clean.lastErrorDuringFaultMs, clean.lastErrorAfterHealMs]).toEqual([
      null,
      null,
      null,
    ]);
  });

  it("1 s timeline buckets by intended send time", () => {
    expect(summary.timeline.map((b) => [b.t, b.ok, b.fail, b.unknown])).toEqual([
      [0, 1, 1, 0],
      [1, 2, 1, 1],
      [2, 2, 1, 0],
    ]);
  });
});

describe("firstCleanSecondAfter", () => {
  it("the first whole second starting at or after the time with no error; null when none", () => {
    const buckets = [0, 1, 2, 3].map((t) => ({ t, ok: 1, fail: t === 2 ? 1 : 0, unknown: 0, rps: 1, p99: 1 }));
    expect(firstCleanSecondAfter(buckets, 1500)).toBe(1500);
    expect(firstCleanSecondAfter(buckets, 1000)).toBe(0);
    expect(firstCleanSecondAfter(buckets, 3001)).toBeNull();
  });
});

describe("windowLatency", () => {
  it("counts a timed-out op with the time it waited (a hang must show in p99), not refused or overload ops", () => {
    const ops = [
      ...Array.from({ length: 98 }, (_, k) => op(k, "ok", { latencyMs: 5 })),
      op(98, "unknown", { status: 0, code: "timeout", latencyMs: 5000 }),
      op(99, "fail", { status: 0, code: "ECONNREFUSED", latencyMs: 1 }),
      op(100, "fail", { status: 0, code: "overload", latencyMs: 0 }),
    ];
    expect(windowLatency(ops)).toEqual({ count: 99, p50: 5, p90: 5, p99: 5000, max: 5000 });
    expect(windowLatency([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe("timelineCharts", () => {
  it("one ok/s and one errors/s line per variant, with the markers given", () => {
    const summary = summarizeFault([op(0, "ok"), op(1000, "fail"), op(1100, "unknown", { status: 0 })], {
      faultMs: 1000,
      healMs: 2000,
    });
    const [ok, errors] = timelineCharts([{ label: "v", summary }], [{ x: 1, label: "kill" }]);
    expect(ok.series).toEqual([
      {
        label: "v",
        // Buckets are drawn at their middle.
        points: [
          [0.5, 1],
          [1.5, 0],
        ],
      },
    ]);
    expect(errors.series[0]?.points).toEqual([
      [0.5, 0],
      [1.5, 2],
    ]);
    expect(ok.markers).toEqual([{ x: 1, label: "kill" }]);
  });
});
