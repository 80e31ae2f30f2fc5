import { describe, expect, it } from "vitest";
import { buildFaultMatrix } from "./fault-matrix.js";
import { type FaultCell, nothingMeasured, type ScenarioResult } from "./results.js";

const result = (id: string, faultCells?: FaultCell[]): ScenarioResult => ({
  id,
  title: id,
  question: "?",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 1,
  ...nothingMeasured(),
  ...(faultCells ? { faultCells } : {}),
});
const cell = (fault: FaultCell["fault"], stack: FaultCell["stack"], errors: string): FaultCell => ({
  fault,
  stack,
  errors,
  recovery: "r",
  lost: "0 of 5 users logged out",
});

describe("buildFaultMatrix (pure)", () => {
  it("is absent when no fault scenario ran", () => {
    expect(buildFaultMatrix([result("routing")])).toBeNull();
  });

  it("has all 8 faults in order, each stack's cell from the scenario that measured it, 'not run' elsewhere", () => {
    const matrix = buildFaultMatrix([
      result("routing"),
      result("crash", [cell("crash", "stateless", "2 of 100"), cell("crash", "stateful", "1 of 100")]),
      result("partition", [cell("partition", "stateful", "30 of 300")]),
    ]);
    expect(matrix?.rows.map((row) => String(row[0]).split(" ")[0])).toEqual([
      "crash",
      "pause",
      "Redis",
      "Redis",
      "Postgres",
      "proxy",
      "app↔Redis",
      "clock",
    ]);
    expect(matrix?.rows[0]).toEqual([
      "crash (kill -9 one instance)",
      "crash",
      "errors 1 of 100 · recovery r · lost 0 of 5 users logged out",
      "errors 2 of 100 · recovery r · lost 0 of 5 users logged out",
    ]);
    expect(matrix?.rows[6]?.slice(1)).toEqual(["partition", expect.stringContaining("30 of 300"), "not run"]);
    expect(matrix?.rows[1]?.slice(1)).toEqual(["not run", "not run", "not run"]);
  });
});
