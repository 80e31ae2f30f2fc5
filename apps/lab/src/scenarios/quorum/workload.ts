import { type CheckResult, checkHistory, createHistory, type QuorumClient } from "@statelab/quorum";

/** What one concurrent run of writers and readers on one key did, judged by the history checker. */
export interface WorkloadStats {
  reads: number;
  readsFailed: number;
  writesOk: number;
  /** Unavailable after reaching some replica, or timed out: may or may not have taken effect. */
  writesUnknown: number;
  writesFailed: number;
  staleReads: number;
  /** Anomalies other than stale reads, by kind (reordered writes, phantom reads). */
  otherAnomalies: Record<string, number>;
}

export function statsOf(ops: ReturnType<typeof createHistory>["ops"], check: CheckResult): WorkloadStats {
  const done = (f: "read" | "write", type: string) => ops.filter((op) => op.f === f && op.type === type).length;
  const other: Record<string, number> = {};
  for (const anomaly of check.anomalies) {
    if (anomaly.kind !== "stale-read") other[anomaly.kind] = (other[anomaly.kind] ?? 0) + 1;
  }
  return {
    reads: check.reads,
    readsFailed: done("read", "fail"),
    writesOk: done("write", "ok"),
    writesUnknown: done("write", "info"),
    writesFailed: done("write", "fail"),
    staleReads: check.staleReads,
    otherAnomalies: other,
  };
}

/**
 * Writers and readers hammer one key at once until `ms` has passed (and at most
 * `maxOps` operations each), recorded as one history and checked.
 */
export async function runWorkload(options: {
  key: string;
  writers: QuorumClient[];
  readers: QuorumClient[];
  ms: number;
  maxOps?: number;
}): Promise<WorkloadStats> {
  const history = createHistory();
  const until = Date.now() + options.ms;
  const maxOps = options.maxOps ?? 5000;
  const loop = async (run: (op: number) => Promise<unknown>) => {
    for (let op = 0; op < maxOps && Date.now() < until; op++) await run(op);
  };
  await Promise.all([
    ...options.writers.map((q, i) =>
      loop((op) => history.write(`writer-${i}`, options.key, () => q.write(options.key, `${i}:${op}`))),
    ),
    ...options.readers.map((q, i) => loop(() => history.read(`reader-${i}`, options.key, () => q.read(options.key)))),
  ]);
  await Promise.all([...options.writers, ...options.readers].map((q) => q.settle()));
  return statsOf(history.ops, checkHistory(history.ops));
}
