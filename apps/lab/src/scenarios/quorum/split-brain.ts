import { randomBytes } from "node:crypto";
import { checkHistory, compareVersions, createHistory, type QuorumSpec, resolveQuorum } from "@statelab/quorum";
import { defineScenario } from "../../compare/scenario.js";
import { startQuorumCluster } from "./cluster.js";
import { statsOf, type WorkloadStats } from "./workload.js";

export type SideName = "left" | "right";

export interface SideOutcome {
  side: SideName;
  /** Replicas this side could reach during the partition. */
  reaches: number;
  writesOk: number;
  writesNotOk: number;
  readsOk: number;
  readsFailed: number;
}

export interface SplitRun {
  spec: QuorumSpec;
  sides: SideOutcome[];
  /** The whole history: both sides during the partition, then a read by each side after healing. */
  stats: WorkloadStats;
  /** Both sides read the same version after healing. */
  converged: boolean;
}

export interface SplitBrainObservations {
  n: number;
  partitionMs: number;
  runs: SplitRun[];
}

export const splitConfigs: readonly QuorumSpec[] = [
  { n: 5, r: 3, w: 3 },
  { n: 5, r: 2, w: 2 },
  { n: 5, r: 1, w: 5 },
];

const label = ({ n, r, w }: QuorumSpec) => `(${n},${r},${w})`;
const sideNames: readonly SideName[] = ["left", "right"];
/** Left reaches replicas 1–3, right 4–5. */
const reaches = (side: SideName, replica: number) => (side === "left" ? replica < 3 : replica >= 3);

/**
 * Quorum scenario 4, split brain: the network splits the 5 replicas into 3 | 2, with
 * clients on both sides writing and reading one key (each side's relays to the other
 * side's replicas black-hole everything). Then the partition heals and both sides read.
 */
export const splitBrain = defineScenario({
  id: "split-brain",
  title: "Quorum split brain: a 3 | 2 partition",
  question:
    "When the replicas split into halves, which side can still write — and is any acknowledged write lost after healing?",
  timing: {
    quick: { estimateSeconds: 12, partitionMs: 1500 },
    full: { estimateSeconds: 25, partitionMs: 5000 },
  },
  async run(ctx, { partitionMs }): Promise<SplitBrainObservations> {
    const n = 5;
    const cluster = await startQuorumCluster(n, sideNames);
    const runs: SplitRun[] = [];
    const bar = ctx.progress("split-brain", splitConfigs.length);
    try {
      for (const spec of splitConfigs) {
        const key = `split:${randomBytes(4).toString("hex")}`;
        const history = createHistory();
        for (const side of sideNames) {
          cluster.sides[side]?.relays.forEach((relay, i) => {
            if (!reaches(side, i)) relay.set({ kind: "blackhole" });
          });
        }
        const until = Date.now() + partitionMs;
        const clients = sideNames.flatMap((side) =>
          ["writer-0", "writer-1", "reader"].map((role) => ({
            side,
            role,
            q: cluster.client(side, spec, 300, `${side}-${role}`),
          })),
        );
        await Promise.all(
          clients.map(async ({ side, role, q }) => {
            for (let op = 0; op < 5000 && Date.now() < until; op++) {
              const process = `${side}-${role}`;
              if (role === "reader") await history.read(process, key, () => q.read(key));
              else await history.write(process, key, () => q.write(key, `${process}:${op}`));
            }
          }),
        );
        for (const relay of sideNames.flatMap((side) => cluster.sides[side]?.relays ?? [])) relay.clear();
        await Promise.all(clients.map(({ q }) => q.settle()));
        // After healing, each side reads once more, from every replica.
        const finals = await Promise.all(
          sideNames.map((side) =>
            history.read(`${side}-after-heal`, key, () => cluster.client(side, { n, r: n, w: n }, 2000).read(key)),
          ),
        );
        const stats = statsOf(history.ops, checkHistory(history.ops));
        const count = (side: SideName, f: "read" | "write", ok: boolean) =>
          history.ops.filter(
            (op) =>
              op.process.startsWith(`${side}-`) && op.f === f && op.type !== "invoke" && (op.type === "ok") === ok,
          ).length;
        runs.push({
          spec,
          sides: sideNames.map((side) => ({
            side,
            reaches: side === "left" ? 3 : 2,
            writesOk: count(side, "write", true),
            writesNotOk: count(side, "write", false),
            readsOk: count(side, "read", true),
            readsFailed: count(side, "read", false),
          })),
          stats,
          converged: finals.every((f) => f !== null && compareVersions(f.version, finals[0]?.version ?? null) === 0),
        });
        ctx.log(`${label(spec)}: ${JSON.stringify(runs.at(-1)?.sides.map((s) => [s.side, s.writesOk]))}`);
        bar.update(runs.length);
      }
    } finally {
      bar.done();
      await cluster.close();
    }
    return { n, partitionMs, runs };
  },
  measure({ runs, partitionMs }: SplitBrainObservations) {
    const lost = (run: SplitRun) => run.stats.staleReads + (run.stats.otherAnomalies["reordered-write"] ?? 0);
    return {
      tables: [
        {
          caption: `5 replicas split 3 | 2 for ${partitionMs} ms; 2 writers + 1 reader per side on one key; then healed`,
          columns: [
            "(N,R,W)",
            "side",
            "replicas reached",
            "writes ok",
            "writes not ok",
            "reads ok",
            "reads failed",
            "stale reads",
            "acknowledged writes lost to an older one",
            "converged",
          ],
          rows: runs.flatMap((run) =>
            run.sides.map((s) => [
              label(run.spec),
              s.side,
              s.reaches,
              s.writesOk,
              s.writesNotOk,
              s.readsOk,
              s.readsFailed,
              run.stats.staleReads,
              run.stats.otherAnomalies["reordered-write"] ?? 0,
              run.converged ? "yes" : "no",
            ]),
          ),
        },
      ],
      charts: [
        {
          kind: "bar",
          title: "Writes acknowledged during the split, per side",
          yLabel: "writes ok",
          categories: runs.map((run) => label(run.spec)),
          series: sideNames.map((side) => ({
            label: `${side} (${side === "left" ? 3 : 2} replicas)`,
            values: runs.map((run) => run.sides.find((s) => s.side === side)?.writesOk ?? 0),
          })),
          stacked: false,
        },
      ],
      reading: runs.map((run) => {
        const writing = run.sides.filter((s) => s.writesOk > 0).map((s) => s.side);
        return `${label(run.spec)}: ${writing.length === 0 ? "neither side" : writing.join(" and ")} could write; ${lost(run)} anomalies (stale reads + writes that lost to an older one) in the history, after healing ${run.converged ? "both sides agree" : "the sides still disagree"}.`;
      }),
      outcomes: Object.fromEntries(
        runs.map((run) => [
          label(run.spec),
          {
            ok: run.stats.writesOk + run.stats.reads,
            fail: run.stats.writesFailed + run.stats.readsFailed,
            unknown: run.stats.writesUnknown,
          },
        ]),
      ),
    };
  },
  invariants({ runs }: SplitBrainObservations) {
    const strong = runs.filter((run) => !resolveQuorum(run.spec).mayReadStale);
    const majority = runs.filter((run) => !resolveQuorum(run.spec).splitBrainWrites);
    return [
      {
        name: "with W > N/2 at most one side of the split acknowledges writes",
        holds: majority.every((run) => run.sides.filter((s) => s.writesOk > 0).length <= 1),
        detail: majority
          .map((run) => `${label(run.spec)}: ${run.sides.map((s) => `${s.side} ${s.writesOk}`).join(", ")}`)
          .join("; "),
      },
      {
        name: "R + W > N: no acknowledged write lost or read stale, during the split or after healing",
        holds: strong.every((run) => run.stats.staleReads === 0 && Object.keys(run.stats.otherAnomalies).length === 0),
        detail: strong
          .map(
            (run) => `${label(run.spec)}: ${run.stats.staleReads} stale, ${JSON.stringify(run.stats.otherAnomalies)}`,
          )
          .join("; "),
      },
      {
        name: "after healing both sides read the same version",
        holds: runs.every((run) => run.converged),
        detail: runs.map((run) => `${label(run.spec)}: ${run.converged ? "yes" : "no"}`).join("; "),
      },
    ];
  },
});
