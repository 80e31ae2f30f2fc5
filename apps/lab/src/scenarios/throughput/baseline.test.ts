import { describe, expect, it } from "vitest";
import { baseline } from "./baseline.js";

const lat = (p99: number) => ({ count: 300, p50: 2, p90: 4, p99, max: p99 + 1 });
const variant = (
  label: string,
  path: "direct" | "proxy",
  rps: number,
  extra: Partial<{ errors: number; isReference: boolean; p99: number }> = {},
) => ({
  label,
  path,
  isReference: extra.isReference ?? false,
  rpsRuns: [rps],
  rps,
  errors: extra.errors ?? 0,
  latency: lat(extra.p99 ?? 10),
  outcomes: { ok: 300, fail: 0, unknown: 0 },
});

const observations = () => ({
  connections: 16,
  seconds: 1,
  runs: 1,
  fixedRate: 200,
  variants: [
    variant("no auth (GET /healthz), direct", "direct", 1000, { isReference: true }),
    variant("no auth (GET /healthz), proxy", "proxy", 500, { isReference: true }),
    variant("stateful (Redis session), direct", "direct", 600),
    variant("stateful (Redis session), proxy", "proxy", 300, { p99: 42 }),
    variant("stateless (denylist), direct", "direct", 800),
    variant("stateless (denylist), proxy", "proxy", 400),
  ],
});

describe("baseline measure and invariants", () => {
  it("divides each variant by the no-auth reference of the same path", () => {
    const { tables, reading } = baseline.measure(observations());
    const rows = tables[0]?.rows ?? [];
    const ratioOf = (label: string) => rows.find((row) => row[0] === label)?.[2];
    expect(ratioOf("stateful (Redis session), direct")).toBe(0.6);
    expect(ratioOf("stateful (Redis session), proxy")).toBe(0.6);
    expect(ratioOf("stateless (denylist), direct")).toBe(0.8);
    expect(reading.join(" ")).toContain("stateless (denylist) served the most GET /me per second (800, 0.8× no-auth)");
    expect(reading.join(" ")).toContain("highest p99 was 42 ms (stateful (Redis session), proxy)");
  });

  it("an error anywhere, or an authed variant faster than no-auth, breaks an invariant", () => {
    expect(baseline.invariants(observations()).every((i) => i.holds)).toBe(true);
    const withErrors = observations();
    (withErrors.variants[3] as { errors: number }).errors = 2;
    expect(baseline.invariants(withErrors)[0]?.holds).toBe(false);
    const tooFast = observations();
    (tooFast.variants[4] as { rps: number }).rps = 1200;
    expect(baseline.invariants(tooFast)[1]?.holds).toBe(false);
  });
});
