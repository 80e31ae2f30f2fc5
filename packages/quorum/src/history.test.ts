import { describe, expect, it } from "vitest";
import { QuorumConditionError, QuorumUnavailableError } from "./errors.js";
import { checkHistory, createHistory, type HistoryOp } from "./history.js";
import type { Version } from "./version.js";

const v = (counter: number, writer = "a"): Version => ({ counter, writer });

/** One operation as its invoke and its completion, at the given times. */
function op(
  process: string,
  f: "read" | "write",
  invokedAt: number,
  completedAt: number,
  version: Version | null,
  type: "ok" | "fail" | "info" = "ok",
  key = "k",
): HistoryOp[] {
  return [
    { process, type: "invoke", f, key, version: null, time: invokedAt },
    { process, type, f, key, version, time: completedAt },
  ];
}

const byTime = (...ops: HistoryOp[][]) => ops.flat().sort((a, b) => a.time - b.time);

describe("checkHistory", () => {
  it("a read after an acknowledged write that returns it or a newer one is valid", () => {
    const result = checkHistory(
      byTime(op("w1", "write", 0, 10, v(1)), op("r1", "read", 11, 20, v(1)), op("w2", "write", 12, 30, v(2))),
    );
    expect(result).toMatchObject({ valid: true, reads: 1, writes: 2, staleReads: 0 });
  });

  it("a read that returns an older version than one acknowledged before it began FAILS as stale-read", () => {
    const result = checkHistory(
      byTime(op("w1", "write", 0, 10, v(1)), op("w2", "write", 11, 20, v(2)), op("r1", "read", 21, 25, v(1))),
    );
    expect(result.valid).toBe(false);
    expect(result.staleReads).toBe(1);
    expect(result.anomalies.map((a) => a.kind)).toEqual(["stale-read"]);
  });

  it("a read that sees nothing after an acknowledged write FAILS as stale-read", () => {
    const result = checkHistory(byTime(op("w1", "write", 0, 10, v(1)), op("r1", "read", 11, 12, null)));
    expect(result.anomalies.map((a) => a.kind)).toEqual(["stale-read"]);
  });

  it("a read concurrent with a write may return either the old or the new version", () => {
    const history = byTime(op("w1", "write", 0, 10, v(1)), op("w2", "write", 11, 40, v(2)));
    expect(checkHistory([...history, ...op("r1", "read", 12, 20, v(1))].sort((a, b) => a.time - b.time)).valid).toBe(
      true,
    );
    expect(checkHistory([...history, ...op("r1", "read", 12, 20, v(2))].sort((a, b) => a.time - b.time)).valid).toBe(
      true,
    );
  });

  it("a read of a version no write produced, or only a failed write, FAILS as phantom-read", () => {
    expect(checkHistory(op("r1", "read", 0, 5, v(9))).anomalies.map((a) => a.kind)).toEqual(["phantom-read"]);
    const failed = byTime(op("w1", "write", 0, 10, v(1), "fail"), op("r1", "read", 11, 12, v(1)));
    expect(checkHistory(failed).anomalies.map((a) => a.kind)).toEqual(["phantom-read"]);
  });

  it("a read of a write with an unknown outcome (info) is allowed, even long after", () => {
    const result = checkHistory(byTime(op("w1", "write", 0, 10, v(1), "info"), op("r1", "read", 500, 510, v(1))));
    expect(result.valid).toBe(true);
  });

  it("a write that began after another was acknowledged but got a lower version FAILS as reordered-write", () => {
    const result = checkHistory(byTime(op("w1", "write", 0, 10, v(5, "b")), op("w2", "write", 11, 20, v(5, "a"))));
    expect(result.anomalies.map((a) => a.kind)).toEqual(["reordered-write"]);
  });

  it("concurrent writes may be ordered either way by their versions", () => {
    const result = checkHistory(byTime(op("w1", "write", 0, 10, v(5, "b")), op("w2", "write", 5, 20, v(5, "a"))));
    expect(result.valid).toBe(true);
  });

  it("keys are judged apart", () => {
    const result = checkHistory(
      byTime(
        op("w1", "write", 0, 10, v(2), "ok", "x"),
        op("r1", "read", 11, 20, v(1), "ok", "y"),
        op("w2", "write", 0, 5, v(1), "ok", "y"),
      ),
    );
    expect(result.valid).toBe(true);
  });

  it("a completion without an invoke, or two invokes in a row, FAILS as malformed", () => {
    const orphan: HistoryOp = { process: "p", type: "ok", f: "read", key: "k", version: null, time: 1 };
    expect(checkHistory([orphan]).anomalies.map((a) => a.kind)).toEqual(["malformed"]);
    const twice = [...op("p", "read", 0, 5, null)].map((o) => ({ ...o, type: "invoke" as const }));
    expect(checkHistory(twice).anomalies.map((a) => a.kind)).toEqual(["malformed"]);
  });
});

describe("createHistory", () => {
  it("records ok, and an unavailable write that may have applied as info with its version", async () => {
    let t = 0;
    const history = createHistory(() => t++);
    await history.write("p", "k", async () => v(1));
    await history.write("p", "k", async () => {
      throw new QuorumUnavailableError({
        operation: "write",
        needed: 2,
        answered: 1,
        failures: [],
        maybeApplied: true,
        version: v(2),
      });
    });
    await history.write("p", "k", async () => {
      throw new QuorumConditionError("k", "exists");
    });
    await history.read("p", "k", async () => {
      throw new Error("down");
    });
    expect(history.ops.map((o) => `${o.type}:${o.version?.counter ?? "-"}`)).toEqual([
      "invoke:-",
      "ok:1",
      "invoke:-",
      "info:2",
      "invoke:-",
      "fail:-",
      "invoke:-",
      "fail:-",
    ]);
  });
});
