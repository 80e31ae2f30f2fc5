import { describe, expect, it } from "vitest";
import type { BarChart, LineChart } from "../../compare/results.js";
import { fixture } from "../testing.js";
import { type PauseObservations, type PauseVariant, pause } from "./pause.js";
import type { FaultSummary, WindowSummary } from "./summary.js";

const window = (ok: number, fail: number, p99: number, max = p99): WindowSummary => ({
  counts: { ok, fail, unknown: 0 },
  latency: { count: ok + fail, p50: 4, p90: 9, p99, max },
});

function summary(change: Partial<FaultSummary> = {}): FaultSummary {
  return {
    counts: { ok: 925, fail: 75, unknown: 0 },
    timeline: [{ t: 0, ok: 100, fail: 0, unknown: 0, rps: 100, p99: 30 }],
    before: window(300, 0, 30),
    during: window(325, 75, 2100, 2300),
    after: window(300, 0, 40),
    errors: { "504 upstream_timeout": 75 },
    firstErrorDuringFaultMs: 10,
    lastErrorDuringFaultMs: 2100,
    lastErrorAfterHealMs: null,
    ...change,
  };
}

function variant(label: string, change: Partial<PauseVariant> = {}): PauseVariant {
  return {
    label,
    stack: label === "stateless" ? "stateless" : "stateful",
    users: 15,
    victim: `${label}-1`,
    usersOnVictim: 5,
    summary: summary(),
    relogin: { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
    probe: {
      inFlight: [200, 401, 401],
      logoutVia: `${label}-2`,
      logoutStatus: 204,
      meOnResumed: 401,
      meElsewhere: 401,
    },
    ...change,
  };
}

const observations = fixture<PauseObservations>(() => ({
  rate: 100,
  durationMs: 10_000,
  pause: { label: "SIGSTOP", plannedMs: 3000, startedMs: 3000, doneMs: 3100 },
  resume: { label: "SIGCONT", plannedMs: 7000, startedMs: 7000, doneMs: 7600 },
  errorBoundMs: 3000,
  variants: [variant("stateful"), variant("stateless")],
}));

const find = (o: PauseObservations, prefix: string, label: string) =>
  pause.invariants(o).find((i) => i.name.startsWith(prefix) && i.name.endsWith(`: ${label}`));

describe("pause invariants", () => {
  it("the expected run holds every invariant", () => {
    expect(pause.invariants(observations()).filter((i) => !i.holds)).toEqual([]);
  });

  it("a logged-out session served again on the resumed instance breaks 'a logout done elsewhere stays done'", () => {
    const o = observations((o) => {
      const probe = (o.variants[0] as PauseVariant).probe;
      if (probe) probe.meOnResumed = 200;
    });
    expect(find(o, "a logout done elsewhere", "stateful")).toMatchObject({
      holds: false,
      detail: "logout via stateful-2 → 204; after resume /me on stateful-1 → 200, elsewhere → 401",
    });
    expect(find(o, "a logout done elsewhere", "stateless")?.holds).toBe(true);
    expect(pause.measure(o).reading[2]).toContain("the logout was undone");
  });

  it("a logout that did not succeed, or a probe that never ran, does not count as staying logged out", () => {
    const failedLogout = observations((o) => {
      const probe = (o.variants[1] as PauseVariant).probe;
      if (probe) probe.logoutStatus = 503;
    });
    expect(find(failedLogout, "a logout done elsewhere", "stateless")?.holds).toBe(false);
    const noProbe = observations((o) => {
      (o.variants[1] as PauseVariant).probe = null;
    });
    expect(find(noProbe, "a logout done elsewhere", "stateless")).toMatchObject({
      holds: false,
      detail: "the probe did not run",
    });
  });

  it("errors later than the bound after the SIGSTOP break the ejection invariant", () => {
    const o = observations((o) => {
      (o.variants[1] as PauseVariant).summary = summary({ lastErrorDuringFaultMs: 3600 });
    });
    expect(find(o, "errors stop within 3.0 s", "stateless")).toMatchObject({
      holds: false,
      detail: "last error 3.6 s after the SIGSTOP; the pause lasted 4.0 s",
    });
    expect(find(o, "errors stop within 3.0 s", "stateful")?.holds).toBe(true);
    expect(pause.measure(o).reading[1]).toContain("beyond the 3.0 s bound");
  });

  it("a pause too short to leave a clean second after the bound proves nothing", () => {
    const o = observations((o) => {
      o.resume = { ...o.resume, startedMs: 5500 };
      for (const v of o.variants) v.summary = summary({ lastErrorDuringFaultMs: null, errors: {} });
    });
    expect(find(o, "errors stop within 3.0 s", "stateful")?.holds).toBe(false);
  });
});

describe("pause measure", () => {
  it("the reading carries this run's numbers", () => {
    const { reading } = pause.measure(observations());
    expect(reading[0]).toBe(
      "stateful: freezing stateful-1 (last served 5 of 15 users) cost 75 of 1000 requests (504 upstream_timeout × 75); " +
        "p99 during the pause 2.1 s, max 2.3 s; the last error was scheduled 2.1 s after the SIGSTOP, so the last 1.9 s of the pause were error-free (the proxy had ejected it).",
    );
    expect(reading[2]).toContain("stayed logged out after the resume on every stack");
    expect(reading[3]).toContain("stateful: 1 of 3, stateless: 1 of 3");
  });

  it("a stack without errors gets its own sentence", () => {
    const o = observations((o) => {
      (o.variants[1] as PauseVariant).summary = summary({
        counts: { ok: 1000, fail: 0, unknown: 0 },
        errors: {},
        lastErrorDuringFaultMs: null,
      });
    });
    expect(pause.measure(o).reading[1]).toMatch(/^stateless: no request failed while stateless-1 was frozen for 4.0 s/);
  });

  it("latency bars per stack and window, timelines with the pause markers, outcomes", () => {
    const measured = pause.measure(observations());
    const bars = measured.charts[0] as BarChart;
    expect(bars.categories).toEqual([
      "stateful before",
      "stateful during",
      "stateful after",
      "stateless before",
      "stateless during",
      "stateless after",
    ]);
    expect(bars.series.find((s) => s.label === "p99")?.values).toEqual([30, 2100, 40, 30, 2100, 40]);
    expect(bars.series.find((s) => s.label === "max")?.values[1]).toBe(2300);
    expect((measured.charts[1] as LineChart).markers.map((m) => m.label)).toEqual(["SIGSTOP", "SIGCONT"]);
    expect(measured.outcomes.stateless).toEqual({ ok: 925, fail: 75, unknown: 0 });
    expect(measured.tables[1]?.rows[0]).toEqual([
      "stateful",
      "504 upstream_timeout × 75",
      "200, 401, 401",
      "stateful-2",
      204,
      401,
      401,
    ]);
  });
});
