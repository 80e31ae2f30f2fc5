import { describe, expect, it } from "vitest";
import type { BarChart } from "../../compare/results.js";
import { fixture, holdsByName } from "../testing.js";
import { leaseHandoff } from "./lease-handoff.js";
import { type HandoffRound, type LeaseHandoffObservations, overlaps, type Variant } from "./lease-handoff-report.js";

const round = (handoffMs: number | null, staleWrite: HandoffRound["staleWrite"], token = 1): HandoffRound => ({
  holder: "w-1",
  holderToken: token,
  takeover: handoffMs === null ? null : "w-2",
  takeoverToken: handoffMs === null ? null : token + 1,
  handoffMs,
  staleWrite,
});

const writes = (...tokens: number[]): Variant["writes"] => tokens.map((token) => ({ owner: `w-${token}.1`, token }));

const observations = fixture<LeaseHandoffObservations>(() => ({
  workers: 3,
  ttlMs: 800,
  renewEveryMs: 266,
  stallMs: 400,
  slackMs: 1000,
  variants: [
    {
      key: "fenced",
      label: "fenced",
      isFenced: true,
      rounds: [round(900, "refused", 1), round(1000, "refused", 2)],
      writes: writes(1, 1, 2, 2, 3),
    },
    {
      key: "unfenced",
      label: "unfenced",
      isFenced: false,
      rounds: [round(950, "accepted", 1), round(1020, "accepted", 2)],
      writes: writes(1, 2, 1, 3, 2),
    },
  ],
}));

const holds = (o: LeaseHandoffObservations) => holdsByName(leaseHandoff.invariants(o));
const TAKEOVER = "another worker takes over within ttl + one renewal interval";
const TOKENS = "fencing tokens grow with every handoff";
const FENCED = "with the fence: 0 overlaps, every resumed holder's write refused";
const UNFENCED = "without the fence: the resumed holders' stale writes go through (overlaps counted)";
const variant = (o: LeaseHandoffObservations, key: Variant["key"]) => o.variants.find((v) => v.key === key) as Variant;

describe("overlaps", () => {
  it("counts accepted writes whose token is below one accepted before", () => {
    expect(overlaps(writes())).toBe(0);
    expect(overlaps(writes(1, 1, 2, 3))).toBe(0);
    expect(overlaps(writes(1, 2, 1, 3, 2, 2))).toBe(3);
  });
});

describe("lease-handoff invariants", () => {
  it("fast takeovers, refused stale writes with the fence, accepted without → every invariant holds", () => {
    expect(holds(observations())).toEqual({ [TAKEOVER]: true, [TOKENS]: true, [FENCED]: true, [UNFENCED]: true });
  });

  it("a takeover slower than ttl + ttl/3 + slack, or none at all → the takeover invariant fails", () => {
    expect(holds(observations((o) => (variant(o, "fenced").rounds[0] = round(2067, "refused"))))[TAKEOVER]).toBe(false);
    expect(holds(observations((o) => (variant(o, "fenced").rounds[0] = round(null, "refused"))))[TAKEOVER]).toBe(false);
    expect(holds(observations((o) => (variant(o, "fenced").rounds[0] = round(2066, "refused"))))[TAKEOVER]).toBe(true);
  });

  it("a token that did not grow → the token invariant fails", () => {
    const o = observations((x) => {
      variant(x, "unfenced").rounds[1] = { ...round(900, "accepted", 5), takeoverToken: 5 };
    });
    expect(holds(o)[TOKENS]).toBe(false);
  });

  it("a stale write landing with the fence, or one not refused → the fenced invariant fails", () => {
    expect(holds(observations((o) => (variant(o, "fenced").writes = writes(1, 2, 1))))[FENCED]).toBe(false);
    expect(holds(observations((o) => (variant(o, "fenced").rounds[1] = round(900, "none"))))[FENCED]).toBe(false);
  });

  it("without the fence but no overlap observed → the unfenced invariant fails (the demonstration did not happen)", () => {
    expect(holds(observations((o) => (variant(o, "unfenced").writes = writes(1, 2, 3))))[UNFENCED]).toBe(false);
  });
});

describe("lease-handoff report", () => {
  it("one summary row per variant, writes per holder, handoff chart per pause, one reading line per variant", () => {
    const m = leaseHandoff.measure(observations());
    const [summary, holders] = m.tables;
    expect(summary?.rows).toEqual([
      ["fenced", 2, 950, 1000, 5, 2, 0, 0],
      ["unfenced", 2, 985, 1020, 5, 0, 2, 2],
    ]);
    expect(holders?.rows).toContainEqual(["fenced", "w-2", 2, 2]);
    const chart = m.charts[0] as BarChart;
    expect(chart.categories).toEqual(["pause 1", "pause 2"]);
    expect(chart.series.map((s) => s.values)).toEqual([
      [900, 1000],
      [950, 1020],
    ]);
    expect(m.reading).toHaveLength(2);
    expect(m.reading[0]).toContain("refused 2 of 2");
    expect(m.reading[1]).toContain("2 writes out of token order");
    expect(m.outcomes).toEqual({ fenced: { ok: 5, fail: 2, unknown: 0 }, unfenced: { ok: 5, fail: 0, unknown: 0 } });
  });
});
