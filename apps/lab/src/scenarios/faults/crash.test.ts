import { describe, expect, it } from "vitest";
import type { LineChart } from "../../compare/results.js";
import { fixture } from "../testing.js";
import { type CrashObservations, type CrashVariant, crash } from "./crash.js";
import type { FaultSummary, WindowSummary } from "./summary.js";

const window = (ok: number, fail = 0): WindowSummary => ({
  counts: { ok, fail, unknown: 0 },
  latency: { count: ok + fail, p50: 3, p90: 8, p99: 20, max: 40 },
});

function summary(change: Partial<FaultSummary> = {}): FaultSummary {
  return {
    counts: { ok: 900, fail: 0, unknown: 0 },
    timeline: [
      { t: 0, ok: 60, fail: 0, unknown: 0, rps: 60, p99: 20 },
      { t: 1, ok: 60, fail: 0, unknown: 0, rps: 60, p99: 20 },
    ],
    before: window(120),
    during: window(240),
    after: window(540),
    errors: {},
    firstErrorDuringFaultMs: null,
    lastErrorDuringFaultMs: null,
    lastErrorAfterHealMs: null,
    ...change,
  };
}

function variant(label: string, store: CrashVariant["store"], change: Partial<CrashVariant> = {}): CrashVariant {
  return {
    label,
    stack: store === "jwt" ? "stateless" : "stateful",
    store,
    users: 15,
    victim: `${store}-2`,
    usersOnVictim: 5,
    backMs: 8_500,
    summary: summary(),
    failoverErrorMs: null,
    relogin: { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
    ...change,
  };
}

const observations = fixture<CrashObservations>(() => ({
  rate: 60,
  durationMs: 15_000,
  kill: { label: "kill -9", plannedMs: 2000, startedMs: 2010, doneMs: 2050 },
  restart: { label: "restart", plannedMs: 6000, startedMs: 6000, doneMs: 8500 },
  errorBoundMs: 3000,
  variants: [
    variant("stateful, Redis store", "redis"),
    variant("stateful, memory store", "memory", {
      summary: summary({
        counts: { ok: 880, fail: 20, unknown: 0 },
        errors: { "401 session_expired": 20 },
        firstErrorDuringFaultMs: 100,
        lastErrorDuringFaultMs: 1900,
      }),
      relogin: { users: 5, unauthorized: 20, firstAtMs: 2100, succeeded: 5, failed: 0 },
    }),
    variant("stateless", "jwt"),
  ],
}));

const byName = (o: CrashObservations, name: string) =>
  crash.invariants(o).find((invariant) => invariant.name.startsWith(name) || invariant.name.endsWith(name));

describe("crash invariants", () => {
  it("the expected run holds every invariant", () => {
    const invariants = crash.invariants(observations());
    expect(invariants).toHaveLength(6);
    expect(invariants.filter((i) => !i.holds)).toEqual([]);
  });

  it("a user logged out on the Redis-store stack breaks 'no session lost' for it, and only for it", () => {
    const o = observations((o) => {
      const redis = o.variants[0] as CrashVariant;
      redis.relogin = { users: 1, unauthorized: 2, firstAtMs: 2300, succeeded: 1, failed: 0 };
    });
    expect(byName(o, "no session lost on a crash: stateful, Redis store")).toMatchObject({
      holds: false,
      detail: "1 of 15 users answered 401 (2 requests)",
    });
    expect(byName(o, "no session lost on a crash: stateless")?.holds).toBe(true);
    expect(crash.measure(o).reading[0]).toContain("Unexpectedly");
    expect(crash.measure(o).reading[0]).toContain("stateful, Redis store 1 of 15");
  });

  it("a memory store that lost nobody breaks its invariant", () => {
    const o = observations((o) => {
      (o.variants[1] as CrashVariant).relogin.users = 0;
    });
    expect(byName(o, "the memory store loses")?.holds).toBe(false);
    expect(crash.measure(o).reading[1]).toContain("lost no user this run");
  });

  it("failures other than 401 past the bound after the kill break it; at the bound they do not", () => {
    const name = "errors stop within 3.0 s of the kill (401s of lost sessions apart): stateless";
    const late = observations((o) => {
      const v = o.variants[2] as CrashVariant;
      v.summary = summary({ lastErrorDuringFaultMs: 3400, errors: { "502 bad_gateway": 3 } });
      v.failoverErrorMs = 3400;
    });
    expect(byName(late, name)).toMatchObject({ holds: false, detail: "last error 3.4 s after the kill" });
    expect(crash.measure(late).reading[2]).toContain("3.4 s after it (stateless), beyond the 3.0 s bound");
    const atBound = observations((o) => {
      (o.variants[2] as CrashVariant).failoverErrorMs = 3000;
    });
    expect(byName(atBound, name)?.holds).toBe(true);
  });

  it("401s of users logging in again do not count against the failover bound", () => {
    const o = observations((o) => {
      const memory = o.variants[1] as CrashVariant;
      memory.summary = summary({ lastErrorDuringFaultMs: 3800, errors: { "401 session_expired": 30 } });
    });
    const name = "errors stop within 3.0 s of the kill (401s of lost sessions apart): stateful, memory store";
    expect(byName(o, name)?.holds).toBe(true);
    expect(crash.measure(o).reading[2]).toContain("errors lasted until 3.8 s after the kill (stateful, memory store)");
  });

  it("a stack that served nothing does not pass the error bound vacuously", () => {
    const o = observations((o) => {
      (o.variants[0] as CrashVariant).summary = summary({ counts: { ok: 0, fail: 0, unknown: 900 } });
    });
    const name = "errors stop within 3.0 s of the kill (401s of lost sessions apart): stateful, Redis store";
    expect(byName(o, name)?.holds).toBe(false);
  });
});

describe("crash measure", () => {
  it("the reading carries this run's numbers", () => {
    const { reading } = crash.measure(observations());
    expect(reading[0]).toBe(
      "Killing one of three instances logged nobody out where the session outlives the process: " +
        "stateful, Redis store 0 of 15 users, stateless 0 of 15 users had to log in again.",
    );
    expect(reading[1]).toContain("5 of 15 users (5 were last served by memory-2) got 401");
    expect(reading[2]).toBe(
      "Requests not ok over the whole run: stateful, Redis store 0 of 900, stateful, memory store 20 of 900, stateless 0 of 900. " +
        "Between the kill and the restart none failed other than with 401: the proxy retries a GET whose connection died, and ejects the dead instance. " +
        "Counting the 401s of users logging in again, errors lasted until 1.9 s after the kill (stateful, memory store).",
    );
    expect(reading[3]).toContain("A restart took 2.5 s–2.5 s");
    expect(reading[3]).not.toContain("after the load had ended");
  });

  it("says when the memory store lost more users than the killed instance served, and when a restart came too late", () => {
    const o = observations((o) => {
      (o.variants[1] as CrashVariant).relogin.users = 9;
      (o.variants[2] as CrashVariant).backMs = 18_000;
    });
    const { reading } = crash.measure(o);
    expect(reading[1]).toContain("That is 4 more than the killed instance served");
    expect(reading[3]).toContain("for stateless only after the load had ended");
    const allLate = observations((o) => {
      for (const v of o.variants) v.backMs = 16_000;
    });
    expect(crash.measure(allLate).reading[3]).toContain("on every stack only after the load had ended");
  });

  it("no error at all → no sentence about 401s until some time", () => {
    const o = observations((o) => {
      o.variants = o.variants.filter((v) => v.store !== "memory");
    });
    expect(crash.measure(o).reading[1]).toContain("none failed other than with 401");
    expect(crash.measure(o).reading[1]).not.toContain("errors lasted until");
  });

  it("tables, charts with kill/restart markers, and outcomes per variant", () => {
    const measured = crash.measure(observations());
    expect(measured.tables[0]?.rows[1]).toEqual([
      "stateful, memory store",
      "memory-2",
      "5 of 15",
      900,
      "20 / 0",
      5,
      "1.9 s",
      "no errors",
      "2.5 s",
      "none",
    ]);
    const line = measured.charts[0] as LineChart;
    expect(line.markers).toEqual([
      { x: 2.01, label: "kill -9" },
      { x: 6, label: "restart" },
    ]);
    expect(line.series.map((s) => s.label)).toEqual(["stateful, Redis store", "stateful, memory store", "stateless"]);
    expect(measured.outcomes["stateful, memory store"]).toEqual({ ok: 880, fail: 20, unknown: 0 });
  });
});
