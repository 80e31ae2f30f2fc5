import { describe, expect, it } from "vitest";
import type { LineChart } from "../../compare/results.js";
import { fixture } from "../testing.js";
import { type OutageLogin, type OutageObservations, type OutageVariant, storeOutage } from "./store-outage.js";
import type { FaultSummary, WindowSummary } from "./summary.js";

const window = (ok: number, fail: number, p99: number, unknown = 0): WindowSummary => ({
  counts: { ok, fail, unknown },
  latency: { count: ok + fail, p50: 5, p90: 20, p99, max: p99 + 100 },
});

function summary(change: Partial<FaultSummary> = {}): FaultSummary {
  return {
    counts: { ok: 850, fail: 350, unknown: 0 },
    timeline: [{ t: 0, ok: 100, fail: 0, unknown: 0, rps: 100, p99: 30 }],
    before: window(300, 0, 30),
    during: window(0, 350, 1200),
    after: window(550, 0, 300),
    errors: { "503 store_unavailable": 350 },
    firstErrorDuringFaultMs: 0,
    lastErrorDuringFaultMs: 3400,
    lastErrorAfterHealMs: null,
    ...change,
  };
}

/** Inside the outage of `observations()`: Redis down at 3100 ms, started again at 6000 ms. */
const login = (status: number, startedMs = 3300, doneMs = 4200): OutageLogin => ({
  status,
  code: status === 503 ? "store_unavailable" : null,
  startedMs,
  doneMs,
});

function variant(label: string, mode: OutageVariant["mode"], change: Partial<OutageVariant> = {}): OutageVariant {
  return {
    label,
    stack: mode === "session" ? "stateful" : "stateless",
    mode,
    users: 15,
    summary: summary(),
    storeErrorsAfterBackMs: 400,
    errorsAfterBack: { "503 store_unavailable": 4 },
    unauthorizedWhileDown: 0,
    relogin: { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
    logins: [login(503), login(503, 3500, 4400), login(503, 3700, 4600)],
    ...change,
  };
}

const observations = fixture<OutageObservations>(() => ({
  rate: 100,
  durationMs: 12_000,
  stop: { label: "Redis stopped", plannedMs: 3000, startedMs: 3000, doneMs: 3150 },
  downAtMs: 3100,
  start: { label: "Redis started", plannedMs: 6000, startedMs: 6000, doneMs: 6400 },
  recoveryBoundMs: 5000,
  variants: [
    variant("stateful", "session", {
      relogin: { users: 15, unauthorized: 40, firstAtMs: 6500, succeeded: 15, failed: 0 },
      summary: summary({
        errors: { "503 store_unavailable": 350, "401 session_expired": 40 },
        timeline: [
          { t: 6, ok: 30, fail: 70, unknown: 0, rps: 30, p99: 900 },
          { t: 7, ok: 60, fail: 40, unknown: 0, rps: 60, p99: 1900 },
          { t: 8, ok: 100, fail: 0, unknown: 0, rps: 100, p99: 300 },
        ],
      }),
      errorsAfterBack: { "503 store_unavailable": 4, "504 upstream_timeout": 6, "401 session_expired": 40 },
    }),
    variant("stateless, denylist", "denylist"),
    variant("stateless, no revocation", "none", {
      summary: summary({ counts: { ok: 1200, fail: 0, unknown: 0 }, during: window(340, 0, 90), errors: {} }),
      storeErrorsAfterBackMs: null,
      errorsAfterBack: {},
    }),
  ],
}));

const find = (o: OutageObservations, name: string) => storeOutage.invariants(o).find((i) => i.name === name);

describe("store-outage invariants", () => {
  it("the expected run holds every invariant", () => {
    const invariants = storeOutage.invariants(observations());
    expect(invariants).toHaveLength(10);
    expect(invariants.filter((i) => !i.holds)).toEqual([]);
  });

  it("a 2xx login on the stateful stack inside the outage breaks 'no 2xx login'", () => {
    const o = observations((o) => {
      (o.variants[0] as OutageVariant).logins[1] = login(200, 3500, 4400);
    });
    expect(find(o, "no 2xx login on stateful while Redis is down")).toMatchObject({
      holds: false,
      detail: "1 of 3 logins answered 2xx (503, 200, 503)",
    });
  });

  it("a 2xx login that ended after Redis was started again is not a false success", () => {
    const o = observations((o) => {
      (o.variants[0] as OutageVariant).logins[2] = login(200, 5500, 7200);
    });
    expect(find(o, "no 2xx login on stateful while Redis is down")).toMatchObject({
      holds: true,
      detail: "0 of 2 logins answered 2xx (503, 503)",
    });
  });

  it("no login inside the outage proves nothing: the invariant fails", () => {
    const o = observations((o) => {
      (o.variants[0] as OutageVariant).logins = [login(503, 3000, 3900), login(200, 5800, 6600)];
    });
    expect(find(o, "no 2xx login on stateful while Redis is down")).toMatchObject({
      holds: false,
      detail: "no login attempt fell inside the outage",
    });
  });

  it("a 401 answered while Redis was down breaks 'logs nobody out' for that stack", () => {
    const o = observations((o) => {
      (o.variants[0] as OutageVariant).unauthorizedWhileDown = 3;
    });
    expect(find(o, "stateful logs nobody out while Redis is down (503, never 401)")).toMatchObject({
      holds: false,
      detail: "3 GET /me answered 401 while Redis was down",
    });
    expect(find(o, "stateless, denylist logs nobody out while Redis is down (503, never 401)")?.holds).toBe(true);
    expect(storeOutage.measure(o).reading[2]).toBe(
      "stateful answered 3 requests 401 while Redis was down: a store failure passed off as a logout.",
    );
  });

  it("stateless without revocation below 99% during the outage breaks its invariant", () => {
    const o = observations((o) => {
      (o.variants[2] as OutageVariant).summary = summary({ during: window(336, 4, 90) });
    });
    expect(find(o, "stateless, no revocation serves ≥ 99% during the outage")).toMatchObject({
      holds: false,
      detail: "336 of 340 ok",
    });
  });

  it("hanging instead of answering 503 breaks the fail-fast invariant: a slow p99, or requests without an answer", () => {
    const name = "stateless, denylist answers 503 during the outage, without hanging (p99 < 2 s)";
    const slow = observations((o) => {
      (o.variants[1] as OutageVariant).summary = summary({ during: window(0, 350, 2100) });
    });
    expect(find(slow, name)?.holds).toBe(false);
    const hung = observations((o) => {
      (o.variants[1] as OutageVariant).summary = summary({ during: window(0, 340, 900, 10) });
    });
    expect(find(hung, name)).toMatchObject({ holds: false, detail: "350 × 503, p99 900 ms, 10 without an answer" });
    const no503 = observations((o) => {
      (o.variants[0] as OutageVariant).summary = summary({ errors: { "502 bad_gateway": 350 } });
    });
    expect(find(no503, "stateful answers 503 during the outage, without hanging (p99 < 2 s)")?.holds).toBe(false);
  });

  it("store errors later than the bound after Redis returned break recovery; 401s do not count as store errors", () => {
    const o = observations((o) => {
      (o.variants[1] as OutageVariant).storeErrorsAfterBackMs = 5200;
    });
    expect(find(o, "stateless, denylist recovers within 5.0 s of Redis returning")).toMatchObject({
      holds: false,
      detail: "last store error 5.2 s after Redis was back",
    });
    expect(find(o, "stateful recovers within 5.0 s of Redis returning")?.holds).toBe(true);
  });
});

describe("store-outage measure", () => {
  it("the reading carries this run's numbers", () => {
    const { reading } = storeOutage.measure(observations());
    expect(reading[0]).toBe(
      "While Redis was down (3.4 s from stop to PING), GET /me answered with stateful 100% errors (p99 1.2 s), " +
        "stateless, denylist 100% errors (p99 1.2 s), stateless, no revocation 0% errors (p99 90 ms).",
    );
    expect(reading[1]).toContain(
      "stateful answered its last store error 400 ms after Redis was back " +
        "(all errors from then on: 401 session_expired × 40, 504 upstream_timeout × 6, 503 store_unavailable × 4)",
    );
    expect(reading[1]).toContain("stateless, no revocation had no store error after Redis answered again");
    expect(reading[2]).toContain("stateful sent 15 of 15 users back to the login page (401)");
    expect(reading[3]).toContain("stateful 0 of 3 answered 2xx (503, 503, 503)");
    expect(reading[3]).toContain("refused logins too (503 store_unavailable)");
  });

  it("without a 401 after the restart, no sentence about forgotten sessions", () => {
    const o = observations((o) => {
      (o.variants[0] as OutageVariant).relogin.users = 0;
    });
    expect(storeOutage.measure(o).reading.some((line) => line.includes("back to the login page"))).toBe(false);
  });

  it("table rows, the stop and Redis-back markers, outcomes", () => {
    const measured = storeOutage.measure(observations());
    expect(measured.tables[0]?.rows[0]).toEqual([
      "stateful",
      350,
      "100%",
      350,
      "1.2 s",
      "1.3 s",
      "400 ms",
      "1.6 s",
      0,
      "15 of 15",
      "0 / 3",
    ]);
    expect((measured.charts[0] as LineChart).markers).toEqual([
      { x: 3, label: "Redis stopped" },
      { x: 6.4, label: "Redis back" },
    ]);
    expect(measured.outcomes["stateless, no revocation"]).toEqual({ ok: 1200, fail: 0, unknown: 0 });
  });
});
