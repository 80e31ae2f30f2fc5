import { describe, expect, it } from "vitest";
import { fixture } from "../testing.js";
import { type SlowVariant, type StoreSlowObservations, storeSlow } from "./store-slow.js";
import { noRelogin, summaryOf, timing, windowOf } from "./testing/fixtures.js";

function variant(label: string, stack: "stateful" | "stateless", change: Partial<SlowVariant> = {}): SlowVariant {
  return {
    label,
    stack,
    users: 10,
    summary: summaryOf({ lastErrorAfterHealMs: 400 }),
    slow: windowOf(80, 0, 240, 420),
    pastDeadline: windowOf(0, 80, 1090, 1250),
    slowErrors: {},
    pastDeadlineErrors: { "503 store_unavailable": 80 },
    relogin: noRelogin(),
    ...change,
  };
}

const observations = fixture<StoreSlowObservations>(() => ({
  rate: 40,
  durationMs: 9000,
  delayMs: 200,
  pastDeadlineDelayMs: 1500,
  deadlineMs: 1000,
  slow: timing("Redis +200 ms", 1500),
  worse: timing("+1500 ms", 4500),
  heal: timing("healed", 6500),
  recoveryBoundMs: 5000,
  variants: [variant("stateful", "stateful"), variant("stateless, denylist", "stateless")],
}));

const holds = (o: StoreSlowObservations, prefix: string) =>
  storeSlow
    .invariants(o)
    .filter((i) => i.name.startsWith(prefix))
    .map((i) => i.holds);

describe("store-slow measure and invariants (pure)", () => {
  it("every invariant holds when the delay shows, past the deadline nothing hangs, and it heals", () => {
    expect(storeSlow.invariants(observations()).every((i) => i.holds)).toBe(true);
  });

  it("more than 1% errors under the deadline breaks the first claim", () => {
    const o = observations((x) => {
      (x.variants[0] as SlowVariant).slow = windowOf(78, 2, 240, 420);
    });
    expect(holds(o, "stateful: Redis +200 ms stays under")).toEqual([false]);
  });

  it("a p50 below the delay means the relay did not slow the requests", () => {
    const o = observations((x) => {
      (x.variants[1] as SlowVariant).slow = windowOf(80, 0, 30, 60);
    });
    expect(holds(o, "stateless, denylist: the delay shows")).toEqual([false]);
  });

  it("a hang past the deadline (p99 ≥ 3 s) and a late recovery are caught", () => {
    const o = observations((x) => {
      const v = x.variants[0] as SlowVariant;
      v.pastDeadline = windowOf(0, 80, 4900, 5000);
      v.summary = summaryOf({ lastErrorAfterHealMs: 7000 });
    });
    expect(holds(o, "stateful: past the deadline")).toEqual([false]);
    expect(holds(o, "stateful: recovers")).toEqual([false]);
  });

  it("gives one redis-slow cell per stack with p99 before and while slow", () => {
    const cells = storeSlow.measure(observations()).faultCells ?? [];
    expect(cells.map((c) => [c.fault, c.stack])).toEqual([
      ["redis-slow", "stateful"],
      ["redis-slow", "stateless"],
    ]);
    expect(cells[0]?.errors).toBe("0 of 80 at +200 ms (p99 40 → 420 ms); 80 of 80 past the deadline (p99 1250 ms)");
    expect(cells[0]?.recovery).toBe("last error 400 ms after the heal");
  });
});
