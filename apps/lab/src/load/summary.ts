import type { LatencySummary, OutcomeCounts } from "../compare/results.js";
import { percentiles } from "../stats.js";
import type { Op } from "./driver.js";

/** One interval of a run, by intended send time: outcomes, ok answers per second and p99 latency. */
export interface TimelineBucket {
  /** Bucket start, seconds since the start of the run. */
  t: number;
  ok: number;
  fail: number;
  unknown: number;
  /** ok ops per second in this bucket. */
  rps: number;
  /** ms, over the ops of this bucket that got an HTTP answer; 0 when none did. */
  p99: number;
}

/** How many ops ended ok, fail and unknown. */
export function countOutcomes(ops: readonly Op[]): OutcomeCounts {
  const counts: OutcomeCounts = { ok: 0, fail: 0, unknown: 0 };
  for (const op of ops) counts[op.outcome]++;
  return counts;
}

/**
 * Nearest-rank latency percentiles over the ops that got an HTTP answer (status > 0) and
 * pass `filter`; refused, timed-out and overload ops have no latency worth ranking. All zeros when none.
 */
export function latency(ops: readonly Op[], filter: (op: Op) => boolean = () => true): LatencySummary {
  return percentiles(ops.filter((op) => op.status > 0 && filter(op)).map((op) => op.latencyMs));
}

/** ok ops per instance id (the X-Instance-Id header); ops without one are left out. */
export function perInstance(ops: readonly Op[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of ops) {
    if (op.outcome === "ok" && op.instance !== null) counts[op.instance] = (counts[op.instance] ?? 0) + 1;
  }
  return counts;
}

/** One bucket per `bucketMs` interval from 0 to the last op's intended time; [] for no ops. */
export function timeline(ops: readonly Op[], bucketMs: number): TimelineBucket[] {
  if (!(Number.isFinite(bucketMs) && bucketMs > 0))
    throw new RangeError(`timeline: bucketMs must be > 0, got ${bucketMs}`);
  if (ops.length === 0) return [];
  // A loop, not Math.max(...ts): spreading a long run's ops would overflow the call stack.
  const lastT = ops.reduce((max, op) => Math.max(max, op.t), 0);
  const groups: Op[][] = Array.from({ length: Math.floor(lastT / bucketMs) + 1 }, () => []);
  for (const op of ops) groups[Math.floor(op.t / bucketMs)]?.push(op);
  return groups.map((group, index) => {
    const counts = countOutcomes(group);
    return { t: (index * bucketMs) / 1000, ...counts, rps: counts.ok / (bucketMs / 1000), p99: latency(group).p99 };
  });
}

/** The latest-scheduled op that was not ok, or null when every op was ok: "errors lasted until its t". */
export function lastFailure(ops: readonly Op[]): Op | null {
  let last: Op | null = null;
  for (const op of ops) {
    if (op.outcome !== "ok" && (last === null || op.t > last.t)) last = op;
  }
  return last;
}

/** The earliest-scheduled ok op at or after `tMs`, or null: "the first success after the fault". */
export function firstOkAfter(ops: readonly Op[], tMs: number): Op | null {
  let first: Op | null = null;
  for (const op of ops) {
    if (op.outcome === "ok" && op.t >= tMs && (first === null || op.t < first.t)) first = op;
  }
  return first;
}

/** Whether every op scheduled at or after `tMs` was ok (vacuously true when there are none). */
export function isAllOkAfter(ops: readonly Op[], tMs: number): boolean {
  return ops.every((op) => op.t < tMs || op.outcome === "ok");
}
