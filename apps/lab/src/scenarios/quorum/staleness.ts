import { randomBytes } from "node:crypto";
import { describeQuorum, resolveQuorum } from "@statelab/quorum";
import { defineScenario } from "../../compare/scenario.js";
import { pct } from "../../format.js";
import { startQuorumCluster } from "./cluster.js";
import { runWorkload, type WorkloadStats } from "./workload.js";

export type Phase = "lagging" | "partitioned";

export interface StalenessRun {
  n: number;
  r: number;
  w: number;
  phase: Phase;
  stats: WorkloadStats;
}

export interface StalenessObservations {
  msPerRun: number;
  writers: number;
  readers: number;
  /** Latency on every replica's relay (network jitter), and on the lagging one. */
  jitter: { ms: number; jitterMs: number };
  lag: { ms: number; jitterMs: number };
  runs: StalenessRun[];
}

export const stalenessConfigs: ReadonlyArray<readonly [number, number, number]> = [
  [3, 1, 1],
  [3, 2, 2],
  [5, 3, 3],
  [7, 4, 4],
  [7, 1, 7],
];

const label = (run: Pick<StalenessRun, "n" | "r" | "w">) => `(${run.n},${run.r},${run.w})`;
const overlaps = (run: Pick<StalenessRun, "n" | "r" | "w">) => !resolveQuorum(run).mayReadStale;

/**
 * Quorum scenario 1, staleness: writers and readers on one key while replica 1 lags
 * behind the writers (a slow relay on their path), then while it is cut off from them
 * (a black hole; the readers still reach it), for each (N, R, W). Every
 * operation is recorded as a history and judged by the checker, so a stale read is
 * counted, never assumed.
 */
export const staleness = defineScenario({
  id: "staleness",
  title: "Quorum staleness: stale reads per (N, R, W)",
  question: "With one replica lagging or partitioned, how often does a read miss the latest acknowledged write?",
  timing: {
    quick: { estimateSeconds: 14, msPerRun: 600 },
    full: { estimateSeconds: 40, msPerRun: 3000 },
  },
  async run(ctx, { msPerRun }): Promise<StalenessObservations> {
    const jitter = { ms: 1, jitterMs: 6 };
    const lag = { ms: 40, jitterMs: 20 };
    // Writers and readers reach the replicas by paths of their own, so replica 1 can lag
    // behind the writers while the readers still reach it quickly: replication lag.
    const cluster = await startQuorumCluster(7, ["writers", "readers"]);
    const { writers, readers } = cluster.sides;
    if (!writers || !readers) throw new Error("no client sides");
    for (const relay of readers.relays) relay.set({ kind: "latency", ...jitter });
    const runs: StalenessRun[] = [];
    const bar = ctx.progress("staleness", stalenessConfigs.length * 2);
    try {
      for (const [n, r, w] of stalenessConfigs) {
        for (const phase of ["lagging", "partitioned"] as const) {
          for (const [i, relay] of writers.relays.entries()) {
            if (i > 0) relay.set({ kind: "latency", ...jitter });
            else relay.set(phase === "lagging" ? { kind: "latency", ...lag } : { kind: "blackhole" });
          }
          const client = (side: string, id: string) => cluster.client(side, { n, r, w }, 300, id);
          const stats = await runWorkload({
            key: `staleness:${randomBytes(4).toString("hex")}`,
            writers: ["w0", "w1", "w2"].map((id) => client("writers", id)),
            readers: ["r0", "r1", "r2"].map((id) => client("readers", id)),
            ms: msPerRun,
          });
          runs.push({ n, r, w, phase, stats });
          ctx.log(`${describeQuorum({ n, r, w })} ${phase}: ${stats.staleReads} stale of ${stats.reads} reads`);
          bar.update(runs.length);
        }
      }
    } finally {
      bar.done();
      await cluster.close();
    }
    return { msPerRun, writers: 3, readers: 3, jitter, lag, runs };
  },
  measure({ runs, msPerRun, lag, jitter }: StalenessObservations) {
    const rows = runs.map((run) => [
      label(run),
      run.phase,
      overlaps(run) ? "yes" : "no",
      run.stats.reads,
      run.stats.staleReads,
      pct(run.stats.staleReads, run.stats.reads),
      pct(run.stats.readsFailed, run.stats.reads + run.stats.readsFailed),
      run.stats.writesOk,
      run.stats.writesUnknown + run.stats.writesFailed,
      Object.values(run.stats.otherAnomalies).reduce((sum, count) => sum + count, 0),
    ]);
    const weak = runs.filter((run) => !overlaps(run));
    const weakStale = weak.reduce((sum, run) => sum + run.stats.staleReads, 0);
    const weakReads = weak.reduce((sum, run) => sum + run.stats.reads, 0);
    const strong = runs.filter(overlaps);
    return {
      tables: [
        {
          caption: `3 writers + 3 readers on one key, ${msPerRun} ms per row; every path adds ${jitter.ms}±${jitter.jitterMs} ms, except the writers' path to replica 1: ${lag.ms}±${lag.jitterMs} ms (lagging) or a black hole (partitioned from the writers; the readers still reach it)`,
          columns: [
            "(N,R,W)",
            "replica 1",
            "R+W>N",
            "reads",
            "stale reads",
            "stale %",
            "reads unavailable",
            "writes ok",
            "writes not ok",
            "other anomalies",
          ],
          rows,
        },
      ],
      charts: [
        {
          kind: "bar",
          title: "Stale reads (% of successful reads)",
          yLabel: "% stale",
          categories: stalenessConfigs.map(([n, r, w]) => label({ n, r, w })),
          series: (["lagging", "partitioned"] as const).map((phase) => ({
            label: `replica 1 ${phase}`,
            values: stalenessConfigs.map(([n, r, w]) => {
              const run = runs.find((x) => x.n === n && x.r === r && x.w === w && x.phase === phase);
              return run && run.stats.reads > 0 ? Math.round((run.stats.staleReads / run.stats.reads) * 1000) / 10 : 0;
            }),
          })),
          stacked: false,
        },
      ],
      reading: [
        `With R + W > N (${[...new Set(strong.map(label))].join(", ")}) the checker found ${strong.reduce((s, r) => s + r.stats.staleReads, 0)} stale reads in ${strong.reduce((s, r) => s + r.stats.reads, 0)}: every read quorum meets every write quorum.`,
        `With R + W ≤ N (${[...new Set(weak.map(label))].join(", ")}) ${weakStale} of ${weakReads} reads (${pct(weakStale, weakReads)}) returned an older version than a write already acknowledged — measured on this run, not assumed.`,
        "Writes that need the partitioned replica (W = N) stop: the price of reading one replica.",
      ],
      outcomes: Object.fromEntries(
        runs.map((run) => [
          `${label(run)} ${run.phase}`,
          {
            ok: run.stats.reads + run.stats.writesOk,
            fail: run.stats.readsFailed + run.stats.writesFailed,
            unknown: run.stats.writesUnknown,
          },
        ]),
      ),
    };
  },
  invariants({ runs }: StalenessObservations) {
    const strong = runs.filter(overlaps);
    return [
      {
        name: "no stale read whenever R + W > N",
        holds: strong.every((run) => run.stats.staleReads === 0),
        detail: strong
          .map((run) => `${label(run)} ${run.phase}: ${run.stats.staleReads}/${run.stats.reads}`)
          .join("; "),
      },
      {
        name: "R + W > N: no reordered write or phantom read in the history",
        holds: strong.every((run) => Object.keys(run.stats.otherAnomalies).length === 0),
        detail: strong
          .map((run) => `${label(run)} ${run.phase}: ${JSON.stringify(run.stats.otherAnomalies)}`)
          .join("; "),
      },
      {
        name: "every R + W > N run read something (the check is not vacuous)",
        holds: strong.every((run) => run.stats.reads > 0),
        detail: strong.map((run) => `${label(run)} ${run.phase}: ${run.stats.reads} reads`).join("; "),
      },
    ];
  },
});
