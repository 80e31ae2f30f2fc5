import { type FaultCell, type MatrixFault, matrixFaults, type ScenarioResult, type Table } from "./results.js";

/** How the matrix names each fault, and how it was injected here. */
export const faultLabels: Record<MatrixFault, string> = {
  crash: "crash (kill -9 one instance)",
  pause: "pause (SIGSTOP one instance)",
  "redis-down": "Redis down (redis-server stopped)",
  "redis-slow": "Redis slow (relay latency)",
  "postgres-down": "Postgres down (relay refuses)",
  "proxy-restart": "proxy restart",
  partition: "app↔Redis partition (relay black-hole)",
  "clock-skew": "clock skew (libfaketime, one instance)",
};

const describe = (cell: FaultCell) => `errors ${cell.errors} · recovery ${cell.recovery} · lost ${cell.lost}`;

/**
 * Pure: the fault matrix of a run, one row per fault, one column per stack, each
 * cell what that fault's scenario measured (or "not run"). Null when no fault
 * scenario ran, so a run of other scenarios has no empty matrix.
 */
export function buildFaultMatrix(scenarios: readonly ScenarioResult[]): Table | null {
  const cells = scenarios.flatMap((scenario) =>
    (scenario.faultCells ?? []).map((cell) => ({ cell, scenario: scenario.id })),
  );
  if (cells.length === 0) return null;
  const find = (fault: MatrixFault, stack: "stateful" | "stateless") =>
    cells.find((entry) => entry.cell.fault === fault && entry.cell.stack === stack);
  return {
    caption:
      "Every fault × both stacks, as measured in this run (errors over the scenario's load; time to recover; sessions or users lost)",
    columns: ["fault", "scenario", "stateful (sessions in Redis)", "stateless (JWT)"],
    rows: matrixFaults.map((fault) => {
      const stateful = find(fault, "stateful");
      const stateless = find(fault, "stateless");
      return [
        faultLabels[fault],
        stateful?.scenario ?? stateless?.scenario ?? "not run",
        stateful ? describe(stateful.cell) : "not run",
        stateless ? describe(stateless.cell) : "not run",
      ];
    }),
  };
}
