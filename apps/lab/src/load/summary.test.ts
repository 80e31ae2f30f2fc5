import { describe, expect, it } from "vitest";
import type { Outcome } from "../compare/results.js";
import type { Op } from "./driver.js";
import { countOutcomes, firstOkAfter, isAllOkAfter, lastFailure, latency, perInstance, timeline } from "./summary.js";

let nextI = 0;

function op(t: number, outcome: Outcome, latencyMs = 10, extra: Partial<Op> = {}): Op {
  const status = outcome === "ok" ? 200 : outcome === "fail" ? 503 : 0;
  return { i: nextI++, t, latencyMs, status, outcome, instance: outcome === "ok" ? "a1" : null, code: null, ...extra };
}

describe("countOutcomes", () => {
  it("counts each outcome, zeros for no ops", () => {
    expect(countOutcomes([op(0, "ok"), op(1, "fail"), op(2, "ok"), op(3, "unknown")])).toEqual({
      ok: 2,
      fail: 1,
      unknown: 1,
    });
    expect(countOutcomes([])).toEqual({ ok: 0, fail: 0, unknown: 0 });
  });
});

describe("latency", () => {
  it("nearest-rank percentiles over 1..100 ms", () => {
    const ops = Array.from({ length: 100 }, (_, k) => op(k, "ok", 100 - k));
    expect(latency(ops)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it("nearest rank picks an existing value, rounding the rank up", () => {
    const ops = [5, 1, 4, 2, 3].map((ms, k) => op(k, "ok", ms));
    expect(latency(ops)).toEqual({ count: 5, p50: 3, p90: 5, p99: 5, max: 5 });
    expect(latency([op(0, "ok", 7)])).toEqual({ count: 1, p50: 7, p90: 7, p99: 7, max: 7 });
  });

  it("counts failed answers but not ops without an HTTP answer (refused, timeout, overload)", () => {
    const ops = [op(0, "ok", 10), op(1, "fail", 20), op(2, "unknown", 2000), op(3, "fail", 0, { status: 0 })];
    expect(latency(ops)).toEqual({ count: 2, p50: 10, p90: 20, p99: 20, max: 20 });
  });

  it("applies the filter", () => {
    const ops = [op(0, "ok", 10), op(1, "fail", 20)];
    expect(latency(ops, (o) => o.outcome === "ok")).toEqual({ count: 1, p50: 10, p90: 10, p99: 10, max: 10 });
  });

  it("all zeros for no ops", () => {
    expect(latency([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe("perInstance", () => {
  it("counts ok ops by X-Instance-Id, leaving out failures and ops without an id", () => {
    const ops = [
      op(0, "ok", 1, { instance: "a1" }),
      op(1, "ok", 1, { instance: "a2" }),
      op(2, "ok", 1, { instance: "a1" }),
      op(3, "fail", 1, { instance: "a2" }),
      op(4, "ok", 1, { instance: null }),
    ];
    expect(perInstance(ops)).toEqual({ a1: 2, a2: 1 });
    expect(perInstance([])).toEqual({});
  });
});

describe("timeline", () => {
  it("one bucket per interval from 0 to the last op, empty buckets included", () => {
    const ops = [op(0, "ok", 5), op(400, "ok", 7), op(600, "fail", 50), op(2100, "unknown", 2000, { status: 0 })];
    expect(timeline(ops, 500)).toEqual([
      { t: 0, ok: 2, fail: 0, unknown: 0, rps: 4, p99: 7 },
      { t: 0.5, ok: 0, fail: 1, unknown: 0, rps: 0, p99: 50 },
      { t: 1, ok: 0, fail: 0, unknown: 0, rps: 0, p99: 0 },
      { t: 1.5, ok: 0, fail: 0, unknown: 0, rps: 0, p99: 0 },
      { t: 2, ok: 0, fail: 0, unknown: 1, rps: 0, p99: 0 },
    ]);
  });

  it("an op exactly on a boundary starts the next bucket", () => {
    expect(timeline([op(0, "ok"), op(1000, "ok")], 1000).map((b) => [b.t, b.ok])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it("no ops → no buckets; a bucket size that is not > 0 throws", () => {
    expect(timeline([], 1000)).toEqual([]);
    expect(() => timeline([op(0, "ok")], 0)).toThrow(RangeError);
  });
});

describe("time until error-free", () => {
  const ops = [op(0, "ok"), op(100, "fail"), op(200, "unknown"), op(300, "ok"), op(400, "fail"), op(500, "ok")];

  it("lastFailure is the latest-scheduled op that was not ok", () => {
    expect(lastFailure(ops)?.t).toBe(400);
    expect(lastFailure([op(0, "ok")])).toBeNull();
    expect(lastFailure([])).toBeNull();
  });

  it("firstOkAfter is the earliest ok op at or after a time", () => {
    expect(firstOkAfter(ops, 100)?.t).toBe(300);
    expect(firstOkAfter(ops, 300)?.t).toBe(300);
    expect(firstOkAfter(ops, 501)).toBeNull();
  });

  it("isAllOkAfter says whether everything from a time on was ok", () => {
    expect(isAllOkAfter(ops, 401)).toBe(true);
    expect(isAllOkAfter(ops, 400)).toBe(false);
    expect(isAllOkAfter([], 0)).toBe(true);
  });

  it("does not rely on the ops being sorted", () => {
    const shuffled = [ops[4], ops[0], ops[5], ops[2], ops[3], ops[1]].filter((o): o is Op => o !== undefined);
    expect(lastFailure(shuffled)?.t).toBe(400);
    expect(firstOkAfter(shuffled, 100)?.t).toBe(300);
  });
});
