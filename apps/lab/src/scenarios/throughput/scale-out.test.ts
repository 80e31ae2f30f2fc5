import { describe, expect, it } from "vitest";
import { scaleOut } from "./scale-out.js";

const point = (instances: number, rps: number, errors = 0) => ({
  instances,
  rpsRuns: [rps],
  rps,
  p99: 20,
  requests: rps * 2,
  errors,
});

const observations = (errors = 0) => ({
  cpus: 2,
  connections: 24,
  seconds: 2,
  curves: [
    { label: "stateful", points: [point(1, 500), point(2, 600), point(3, 650, errors)] },
    { label: "stateless", points: [point(1, 700), point(2, 700), point(3, 560)] },
  ],
});

describe("scale-out measure and invariants", () => {
  it("reports each point against one instance and says what bounds it on this machine", () => {
    const { tables, reading, charts } = scaleOut.measure(observations());
    const rows = tables[0]?.rows ?? [];
    expect(rows.find((row) => row[0] === "stateful" && row[1] === 3)?.[5]).toBe(1.3);
    expect(rows.find((row) => row[0] === "stateless" && row[1] === 3)?.[5]).toBe(0.8);
    expect(reading[0]).toContain("1.3× from 1 to 3 instances");
    expect(reading.at(-1)).toContain("2 CPUs");
    expect(charts[0]?.kind).toBe("line");
  });

  it("an error while instances are drained and enabled breaks the invariant", () => {
    expect(scaleOut.invariants(observations())[0]?.holds).toBe(true);
    expect(scaleOut.invariants(observations(3))[0]?.holds).toBe(false);
  });
});
