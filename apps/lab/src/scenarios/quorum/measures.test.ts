import { describe, expect, it } from "vitest";
import { expectedAvailability, type LossStep, type MajorityLossObservations, majorityLoss } from "./majority-loss.js";
import { type RedundancyObservations, redundancyThroughput } from "./redundancy-throughput.js";
import { type SplitBrainObservations, splitBrain } from "./split-brain.js";
import { type StalenessObservations, staleness } from "./staleness.js";
import type { WorkloadStats } from "./workload.js";

const stats = (change: Partial<WorkloadStats> = {}): WorkloadStats => ({
  reads: 100,
  readsFailed: 0,
  writesOk: 50,
  writesUnknown: 0,
  writesFailed: 0,
  staleReads: 0,
  otherAnomalies: {},
  ...change,
});

const failing = (invariants: Array<{ name: string; holds: boolean }>) =>
  invariants.filter((i) => !i.holds).map((i) => i.name);

describe("staleness measure and invariants", () => {
  const observations = (strongStale = 0): StalenessObservations => ({
    msPerRun: 800,
    writers: 3,
    readers: 3,
    jitter: { ms: 1, jitterMs: 6 },
    lag: { ms: 40, jitterMs: 20 },
    runs: [
      { n: 3, r: 1, w: 1, phase: "partitioned", stats: stats({ staleReads: 16 }) },
      { n: 3, r: 2, w: 2, phase: "partitioned", stats: stats({ staleReads: strongStale }) },
    ],
  });

  it("stale reads with R + W ≤ N are reported, not held against the invariants", () => {
    expect(failing(staleness.invariants(observations()))).toEqual([]);
    const { tables, reading } = staleness.measure(observations());
    expect(tables[0]?.rows[0]).toEqual(["(3,1,1)", "partitioned", "no", 100, 16, "16.0%", "0%", 50, 0, 0]);
    expect(reading[1]).toContain("16 of 100 reads (16.0%)");
  });

  it("one stale read with R + W > N breaks the invariant", () => {
    expect(failing(staleness.invariants(observations(1)))).toEqual(["no stale read whenever R + W > N"]);
  });
});

describe("majority-loss measure and invariants", () => {
  const step = (lost: number, readsOk: number, writesOk: number): LossStep => ({
    preset: "majority",
    lost,
    readsOk,
    readsFailed: 6 - readsOk,
    writesOk,
    writesUnknown: 6 - writesOk,
    writesFailed: 0,
    slowestFailureMs: 520,
  });
  const observations = (stepsChange: LossStep[] = [], lostAfterHeal = 0): MajorityLossObservations => ({
    n: 3,
    timeoutMs: 500,
    opsPerStep: 6,
    steps: stepsChange.length > 0 ? stepsChange : [step(0, 6, 6), step(1, 6, 6), step(2, 0, 0), step(3, 0, 0)],
    afterHeal: [{ preset: "majority", acknowledged: 12, lost: lostAfterHeal }],
  });

  it("knows the arithmetic: a write needs W and the version lookup, a read R", () => {
    expect(expectedAvailability("majority", 5, 3)).toEqual({ reads: true, writes: true });
    expect(expectedAvailability("read-all-write-one", 5, 4)).toEqual({ reads: false, writes: false });
    expect(expectedAvailability("read-one-write-all", 5, 1)).toEqual({ reads: true, writes: false });
  });

  it("says where each preset stops", () => {
    expect(failing(majorityLoss.invariants(observations()))).toEqual([]);
    expect(majorityLoss.measure(observations()).reading[0]).toContain("writes stop when 2 replica(s) are cut off");
  });

  it("a write lost after healing, or availability that does not match the arithmetic, breaks the invariants", () => {
    expect(failing(majorityLoss.invariants(observations([], 1)))).toEqual([
      "no acknowledged write is lost after the partition heals",
    ]);
    const wrong = [step(0, 6, 6), step(1, 6, 3), step(2, 0, 0), step(3, 0, 0)];
    expect(failing(majorityLoss.invariants(observations(wrong)))).toHaveLength(1);
  });
});

describe("redundancy-throughput measure", () => {
  const sample = (opsPerSecond: number, serverCommandsPerOp: number) => ({
    ops: opsPerSecond,
    errors: 0,
    seconds: 1,
    opsPerSecond,
    p50Ms: 1,
    p99Ms: 5,
    serverCommandsPerOp,
  });
  const observations: RedundancyObservations = {
    cpus: 2,
    concurrency: 16,
    points: [
      { n: 1, r: 1, w: 1, writes: sample(2000, 5), reads: sample(10000, 1) },
      { n: 3, r: 2, w: 2, writes: sample(1000, 15), reads: sample(5000, 3) },
    ],
  };

  it("gives each point against N = 1 and the servers' own count of work per operation", () => {
    const { tables, reading } = redundancyThroughput.measure(observations);
    expect(tables[0]?.rows[1]).toEqual([3, 2, 2, 1000, 0.5, 5, 15, 5000, 0.5, 5, 3, 0]);
    expect(reading[0]).toContain("writes 2000 → 1000/s (0.5×)");
    expect(failing(redundancyThroughput.invariants(observations))).toEqual([]);
  });
});

describe("split-brain invariants", () => {
  const side = (name: "left" | "right", writesOk: number) => ({
    side: name,
    reaches: name === "left" ? 3 : 2,
    writesOk,
    writesNotOk: 0,
    readsOk: 10,
    readsFailed: 0,
  });
  const observations = (rightWrites: number, lost = 0): SplitBrainObservations => ({
    n: 5,
    partitionMs: 1500,
    runs: [
      {
        spec: { n: 5, r: 3, w: 3 },
        sides: [side("left", 100), side("right", rightWrites)],
        stats: stats({ otherAnomalies: lost > 0 ? { "reordered-write": lost } : {} }),
        converged: true,
      },
    ],
  });

  it("only the majority side writing, nothing lost: every invariant holds", () => {
    expect(failing(splitBrain.invariants(observations(0)))).toEqual([]);
    expect(splitBrain.measure(observations(0)).reading[0]).toContain("left could write");
  });

  it("both sides writing at W > N/2, or a lost write, breaks the invariants", () => {
    expect(failing(splitBrain.invariants(observations(3)))).toEqual([
      "with W > N/2 at most one side of the split acknowledges writes",
    ]);
    expect(failing(splitBrain.invariants(observations(0, 2)))).toEqual([
      "R + W > N: no acknowledged write lost or read stale, during the split or after healing",
    ]);
  });
});
