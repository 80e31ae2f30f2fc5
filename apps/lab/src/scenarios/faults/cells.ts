import type { FaultCell, MatrixFault, StackName } from "../../compare/results.js";
import { formatDuration } from "../../format.js";
import type { ReloginCounts } from "./load.js";
import { describeErrors, type FaultSummary } from "./summary.js";

/** Pure: the three texts of a fault-matrix cell, from one target's fault summary. */
export function faultCell(
  fault: MatrixFault,
  stack: StackName,
  figures: { summary: FaultSummary; relogin: ReloginCounts; users: number },
  recovery: string,
): FaultCell {
  const { counts, errors } = figures.summary;
  const failed = counts.fail + counts.unknown;
  return {
    fault,
    stack,
    errors: `${failed} of ${failed + counts.ok}${failed > 0 ? ` (${describeErrors(errors)})` : ""}`,
    recovery,
    lost: `${figures.relogin.users} of ${figures.users} users logged out`,
  };
}

/** "errors ended 1.2 s after the heal" / "no error after the heal", from `lastErrorAfterHealMs`. */
export function recoveryAfterHeal(summary: FaultSummary, heal: string): string {
  const last = summary.lastErrorAfterHealMs;
  return last === null ? `no error after ${heal}` : `last error ${formatDuration(last)} after ${heal}`;
}
