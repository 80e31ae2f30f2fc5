import type { ReadResult } from "./client.js";
import { QuorumError, QuorumUnavailableError } from "./errors.js";
import { compareVersions, formatVersion, type Version } from "./version.js";

/**
 * One line of a Jepsen-style history: `invoke` when an operation starts, then exactly
 * one of `ok` (it happened), `fail` (it certainly did not) or `info` (unknown: it may
 * have happened, e.g. a write that timed out after reaching a replica).
 */
export interface HistoryOp {
  process: string;
  type: "invoke" | "ok" | "fail" | "info";
  f: "read" | "write";
  key: string;
  /** A write: the version it wrote (null while unknown). A read: the version it returned. */
  version: Version | null;
  /** ms on one monotonic clock shared by every process of the history. */
  time: number;
}

export type AnomalyKind = "stale-read" | "phantom-read" | "reordered-write" | "malformed";

export interface Anomaly {
  kind: AnomalyKind;
  process: string;
  key: string;
  detail: string;
}

export interface CheckResult {
  valid: boolean;
  reads: number;
  writes: number;
  staleReads: number;
  anomalies: Anomaly[];
}

interface Operation {
  process: string;
  f: "read" | "write";
  key: string;
  outcome: "ok" | "fail" | "info";
  version: Version | null;
  invokedAt: number;
  /** Infinity for info: an unknown outcome may take effect at any later time. */
  completedAt: number;
}

/** Pairs each invoke with its process's next completion; a process runs one operation at a time. */
function pair(history: readonly HistoryOp[], anomalies: Anomaly[]): Operation[] {
  const open = new Map<string, HistoryOp>();
  const ops: Operation[] = [];
  const malformed = (op: HistoryOp, detail: string) =>
    anomalies.push({ kind: "malformed", process: op.process, key: op.key, detail });
  for (const op of history) {
    const started = open.get(op.process);
    if (op.type === "invoke") {
      if (started) malformed(op, "invoked while its previous operation had not completed");
      open.set(op.process, op);
      continue;
    }
    if (!started || started.f !== op.f || started.key !== op.key) {
      malformed(op, `${op.type} without a matching invoke`);
      continue;
    }
    open.delete(op.process);
    ops.push({
      process: op.process,
      f: op.f,
      key: op.key,
      outcome: op.type,
      version: op.version,
      invokedAt: started.time,
      completedAt: op.type === "info" ? Number.POSITIVE_INFINITY : op.time,
    });
  }
  // Never completed: as unknown as an info.
  for (const op of open.values())
    ops.push({ ...op, outcome: "info", invokedAt: op.time, completedAt: Number.POSITIVE_INFINITY });
  return ops;
}

const highest = (versions: Array<Version | null>): Version | null =>
  versions.reduce<Version | null>((best, v) => (compareVersions(v, best) > 0 ? v : best), null);

/**
 * Checks a register history for what R + W > N promises:
 * - stale-read: a read returned a version older than a write acknowledged before the read began;
 * - phantom-read: a read returned a version no write that may have happened had started writing;
 * - reordered-write: a write that began after another was acknowledged got a lower version
 *   (it silently loses to the older one); counted once per such write.
 */
export function checkHistory(history: readonly HistoryOp[]): CheckResult {
  const anomalies: Anomaly[] = [];
  const ops = pair(history, anomalies);
  const writes = ops.filter((op) => op.f === "write");
  const acked = writes.filter((op) => op.outcome === "ok");
  const reads = ops.filter((op) => op.f === "read" && op.outcome === "ok");
  let staleReads = 0;
  for (const read of reads) {
    const before = acked.filter((w) => w.key === read.key && w.completedAt < read.invokedAt);
    const required = highest(before.map((w) => w.version));
    if (compareVersions(read.version, required) < 0) {
      staleReads++;
      anomalies.push({
        kind: "stale-read",
        process: read.process,
        key: read.key,
        detail: `read ${formatVersion(read.version)} after ${formatVersion(required)} was acknowledged`,
      });
    }
    if (read.version === null) continue;
    const source = writes.find(
      (w) =>
        w.key === read.key &&
        w.outcome !== "fail" &&
        w.invokedAt < read.completedAt &&
        compareVersions(w.version, read.version) === 0,
    );
    if (!source) {
      anomalies.push({
        kind: "phantom-read",
        process: read.process,
        key: read.key,
        detail: `read ${formatVersion(read.version)}, which no possible write had written`,
      });
    }
  }
  for (const later of acked) {
    for (const earlier of acked) {
      if (earlier.key !== later.key || earlier.completedAt >= later.invokedAt) continue;
      if (compareVersions(later.version, earlier.version) < 0) {
        anomalies.push({
          kind: "reordered-write",
          process: later.process,
          key: later.key,
          detail: `${formatVersion(later.version)} began after ${formatVersion(earlier.version)} was acknowledged`,
        });
        break; // one anomaly per write that lost, however many older writes beat it
      }
    }
  }
  return { valid: anomalies.length === 0, reads: reads.length, writes: writes.length, staleReads, anomalies };
}

/** Records operations of real clients as a history, timing them on one monotonic clock. */
export function createHistory(now: () => number = () => performance.now()) {
  const ops: HistoryOp[] = [];
  const push = (op: Omit<HistoryOp, "time">) => ops.push({ ...op, time: now() });
  return {
    ops,
    /** Runs a read and records it; a failed read is `fail` (reads change nothing). */
    async read(process: string, key: string, run: () => Promise<ReadResult>): Promise<ReadResult | null> {
      push({ process, type: "invoke", f: "read", key, version: null });
      try {
        const result = await run();
        push({ process, type: "ok", f: "read", key, version: result.version });
        return result;
      } catch {
        push({ process, type: "fail", f: "read", key, version: null });
        return null;
      }
    },
    /** Runs a write and records it: unavailable but maybe applied is `info`, never `fail`. */
    async write(process: string, key: string, run: () => Promise<Version>): Promise<Version | null> {
      push({ process, type: "invoke", f: "write", key, version: null });
      try {
        const version = await run();
        push({ process, type: "ok", f: "write", key, version });
        return version;
      } catch (error) {
        // A refused condition changed nothing; an error of unknown kind might have come after the write.
        const unknown = error instanceof QuorumUnavailableError ? error.maybeApplied : !(error instanceof QuorumError);
        const version = error instanceof QuorumUnavailableError ? error.version : null;
        push({ process, type: unknown ? "info" : "fail", f: "write", key, version });
        return null;
      }
    },
  };
}
