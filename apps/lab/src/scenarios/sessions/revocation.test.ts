import { describe, expect, it } from "vitest";
import type { BarChart } from "../../compare/results.js";
import { fixture, holdsByName, variantByKey } from "../testing.js";
import { revocation } from "./revocation.js";
import type { RevocationObservations } from "./revocation-report.js";

type Variant = RevocationObservations["variants"][number];
type Try = Variant["tries"][number];

const attempt = (latencyMs: number | null, change: Partial<Try> = {}): Try => ({
  ageAtLogoutMs: 0,
  beforeStatus: 200,
  beforeSource: null,
  logoutStatus: 204,
  latencyMs,
  polls: latencyMs === null ? 60 : Math.floor(latencyMs / 100) + 1,
  pollErrors: 0,
  code: latencyMs === null ? null : "session_expired",
  ...change,
});

const variant = (
  key: Variant["key"],
  label: string,
  boundMs: number,
  latencies: Array<number | null>,
  p50: number,
) => ({
  key,
  label,
  mechanism: "…",
  boundMs,
  giveUpMs: boundMs + 3000,
  tries: latencies.map((latency) => attempt(latency)),
  meCost: { requests: 60, ok: 60, p50Ms: p50, p90Ms: p50 * 2 },
});

const observations = fixture<RevocationObservations>(() => ({
  pollIntervalMs: 100,
  variants: [
    variant("store", "stateful, Redis store", 0, [0, 0, 0], 2.1),
    variant("cache", "stateful, SESSION_CACHE=3", 3000, [2904, 2105, 1201], 1.6),
    variant("denylist", "stateless, REVOCATION=denylist", 0, [0, 0, 0], 2.4),
    variant("expiry", "stateless, REVOCATION=none, ACCESS_TTL=5", 5000, [4300, 3103, 1406], 1.5),
  ],
}));

const get = (o: RevocationObservations, key: Variant["key"]) => variantByKey(o, key);
const holds = (o: RevocationObservations) => holdsByName(revocation.invariants(o));
const IMMEDIATE = "revocation latency is 0 with a denylist";
const CACHE = "SESSION_CACHE=3 revokes after a delay of at most the snapshot's life";
const EXPIRY = "REVOCATION=none revokes only when the access token expires";

describe("revocation invariants", () => {
  it("immediate store and denylist, a delayed cache and an expiry-bound JWT → every invariant holds", () => {
    expect(holds(observations())).toEqual({ [IMMEDIATE]: true, [CACHE]: true, [EXPIRY]: true });
  });

  it("a denylist try refused only on the third poll, or never, breaks 'latency is 0'", () => {
    const late = observations((o) => {
      get(o, "denylist").tries[1] = attempt(200);
    });
    const never = observations((o) => {
      get(o, "store").tries[0] = attempt(null);
    });
    expect(holds(late)[IMMEDIATE]).toBe(false);
    expect(holds(never)[IMMEDIATE]).toBe(false);
  });

  it("a try whose copy was not logged in before the logout proves nothing: the invariant does not hold", () => {
    const o = observations((o) => {
      get(o, "store").tries[0] = attempt(0, { beforeStatus: 401 });
    });
    expect(holds(o)[IMMEDIATE]).toBe(false);
    expect(revocation.invariants(o)[0]?.detail).toContain("1 tries invalid");
  });

  it("a cache that never delayed a revocation, or delayed it past 3 s + 1 s, breaks the cache invariant", () => {
    const never = observations((o) => {
      get(o, "cache").tries = [attempt(0), attempt(0), attempt(0)];
    });
    const tooLate = observations((o) => {
      get(o, "cache").tries[0] = attempt(4100);
    });
    expect(holds(never)[CACHE]).toBe(false);
    expect(holds(tooLate)[CACHE]).toBe(false);
    const atTheSlack = observations((o) => {
      get(o, "cache").tries[0] = attempt(4000);
    });
    expect(holds(atTheSlack)[CACHE]).toBe(true);
  });

  it("REVOCATION=none refused at once, past ACCESS_TTL + 1 s, or never → the invariant breaks", () => {
    for (const latency of [0, 6100, null]) {
      const o = observations((o) => {
        get(o, "expiry").tries[2] = attempt(latency);
      });
      expect(holds(o)[EXPIRY]).toBe(false);
    }
  });
});

describe("revocation measure", () => {
  it("charts median and max per variant; a try never refused counts as the give-up time", () => {
    const o = observations((o) => {
      get(o, "cache").tries[2] = attempt(null);
    });
    const chart = revocation.measure(o).charts[0] as BarChart;
    expect(chart.series[0]?.values).toEqual([0, 2904, 0, 3103]);
    expect(chart.series[1]?.values).toEqual([0, 6000, 0, 4300]);
  });

  it("the table puts each variant's /me cost beside its revocation latency", () => {
    const [table] = revocation.measure(observations()).tables;
    expect(table?.rows[1]).toEqual(["stateful, SESSION_CACHE=3", "…", 3, 3, 2105, 2904, 3000, 1.6, 3.2]);
  });

  it("reads this run's numbers, and says when a try outlived the bound", () => {
    const { reading } = revocation.measure(observations());
    expect(reading[0]).toContain("stateful, Redis store: 3 of 3 tries refused on the first poll");
    expect(reading[0]).toContain("Revocation is immediate");
    expect(reading[1]).toContain("median 2.1 s, max 2.9 s");
    expect(reading[2]).toContain("median 3.1 s, max 4.3 s");
    const stuck = revocation.measure(
      observations((o) => {
        get(o, "denylist").tries[0] = attempt(null);
        get(o, "expiry").tries[0] = attempt(null);
      }),
    ).reading;
    expect(stuck[0]).toContain("Not every try was refused at once");
    expect(stuck[2]).toContain("1 of 3 tries still worked after 8.0 s");
  });
});
