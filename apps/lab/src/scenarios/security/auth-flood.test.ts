import { describe, expect, it } from "vitest";
import { holdsByName } from "../testing.js";
import { type AuthFloodObservations, authFlood, type FloodRun, type LoginSample } from "./auth-flood.js";

const sample = (atMs: number, ms: number, status = 200, code: string | null = null): LoginSample => ({
  atMs,
  status,
  code,
  ms,
});
const logins = (msEach: number[]) => msEach.map((ms, i) => sample(i * 1000, ms));

function run(label: string, change: Partial<FloodRun> = {}): FloodRun {
  return {
    label,
    idle: logins([50, 60, 55]),
    known: logins([300, 400, 500, 900, 1200]),
    newDevice: [...logins([800, 1500]), sample(2000, 40, 503, "server_busy")],
    flood: { "201": 300, "401": 400, "429": 200, "503": 500, "504": 3, "0": 1 },
    floodRequests: 1404,
    ...change,
  };
}

const observations = (...runs: FloodRun[]): AuthFloodObservations => ({ clients: 64, seconds: 20, runs });
const holds = (o: AuthFloodObservations) => holdsByName(authFlood.invariants(o));

describe("auth-flood measure and invariants", () => {
  it("every returning login ok within 2 s → both claims hold; the tables give p99 and the flood's answers", () => {
    const o = observations(run("stateful"), run("stateless"));
    expect(Object.values(holds(o))).toEqual([true, true, true, true]);
    const { tables, reading } = authFlood.measure(o);
    const known = tables[0]?.rows.find((row) => row[0] === "stateful" && row[1] === "returning (known device)");
    expect(known?.slice(2, 7)).toEqual([5, 5, 500, 1200, 1200]);
    expect(tables[1]?.rows[0]).toEqual(["stateful", 1404, 300, 400, 200, 500, 3, 1]);
    expect(reading[0]).toContain("logged in 5 of 5 times");
    expect(reading[0]).toContain("2 of 3, p99 1500 ms — 2× 200, 1× 503 server_busy");
    expect(reading[1]).toContain("700 got a hash");
  });

  it("one failed or unanswered returning login, or a p99 past 2 s, breaks the claim for that stack only", () => {
    const failed = run("stateless", { known: [...logins([300, 400]), sample(2000, 2100, 504, "upstream_timeout")] });
    const result = holds(observations(run("stateful"), failed));
    expect(result["every login of a returning user succeeds during the flood: stateful"]).toBe(true);
    expect(result["every login of a returning user succeeds during the flood: stateless"]).toBe(false);
    const slow = run("stateless", { known: logins([300, 2500]) });
    expect(holds(observations(slow))["a returning user's login p99 ≤ 2 s during the flood: stateless"]).toBe(false);
    // No logins at all is no evidence either way: it does not hold.
    expect(holds(observations(run("stateful", { known: [] })))).toEqual({
      "every login of a returning user succeeds during the flood: stateful": false,
      "a returning user's login p99 ≤ 2 s during the flood: stateful": false,
    });
  });
});
