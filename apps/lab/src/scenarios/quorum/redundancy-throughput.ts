import os from "node:os";
import { presets, type QuorumClient, type ReplicaLink } from "@statelab/quorum";
import { defineScenario } from "../../compare/scenario.js";
import { round } from "../../format.js";
import { percentile } from "../../stats.js";
import { startQuorumCluster } from "./cluster.js";

export interface ThroughputSample {
  ops: number;
  errors: number;
  seconds: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Commands the redis-servers processed per successful operation (INFO stats), whatever the CPU load. */
  serverCommandsPerOp: number;
}

export interface RedundancyPoint {
  n: number;
  r: number;
  w: number;
  writes: ThroughputSample;
  reads: ThroughputSample;
}

export interface RedundancyObservations {
  cpus: number;
  concurrency: number;
  points: RedundancyPoint[];
}

/** Commands every server has processed so far (INFO stats; commands run by a script count too). */
async function commandsProcessed(links: readonly ReplicaLink[]): Promise<number> {
  const infos = await Promise.all(links.map((link) => link.connection.sendCommand(["INFO", "stats"])));
  return infos.reduce<number>(
    (sum, info) => sum + Number(/total_commands_processed:(\d+)/.exec(String(info))?.[1] ?? 0),
    0,
  );
}

/** A closed loop: `concurrency` callers, each issuing `op` back to back for `ms`, at most 20,000 ops each. */
async function closedLoop(
  concurrency: number,
  ms: number,
  op: (worker: number, i: number) => Promise<unknown>,
): Promise<Omit<ThroughputSample, "serverCommandsPerOp">> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; i < 20_000 && Date.now() < until; i++) {
        const t = performance.now();
        try {
          await op(worker, i);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    ops: latencies.length,
    errors,
    seconds: round(seconds, 2),
    opsPerSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50) ?? 0, 2),
    p99Ms: round(percentile(latencies, 99) ?? 0, 2),
  };
}

/**
 * Quorum scenario 3, redundancy vs throughput: write and read throughput of majority
 * quorums as N grows from 1 to 7 — the seed's "more replicas, less throughput". Straight
 * to each server (no relay), so the figure is the replication's own cost on this machine.
 */
export const redundancyThroughput = defineScenario({
  id: "redundancy-throughput",
  title: "Quorum redundancy vs throughput: N = 1 … 7 at majority quorums",
  question: "How much write and read throughput does each extra replica cost, at majority quorums?",
  timing: {
    quick: { estimateSeconds: 12, ms: 600 },
    full: { estimateSeconds: 40, ms: 2500 },
  },
  async run(ctx, { ms }): Promise<RedundancyObservations> {
    const concurrency = 16;
    const cluster = await startQuorumCluster(7, []);
    const points: RedundancyPoint[] = [];
    const bar = ctx.progress("redundancy-throughput", 7);
    try {
      // Warm up the JIT and the connections first, or N = 1 pays for both.
      const warm = cluster.client("direct", presets.majority(7), 2000);
      await closedLoop(concurrency, 400, (worker, i) =>
        i % 2 ? warm.read(`tp:warm:${worker}`) : warm.write(`tp:warm:${worker}`, "x"),
      );
      await warm.settle();
      for (let n = 1; n <= 7; n++) {
        const spec = presets.majority(n);
        const q: QuorumClient = cluster.client("direct", spec, 2000);
        const key = (worker: number, i: number) => `tp:${n}:${worker}:${i % 50}`;
        const measure = async (op: (worker: number, i: number) => Promise<unknown>): Promise<ThroughputSample> => {
          const before = await commandsProcessed(cluster.direct);
          const sample = await closedLoop(concurrency, ms, op);
          await q.settle();
          const commands = (await commandsProcessed(cluster.direct)) - before;
          return { ...sample, serverCommandsPerOp: round(commands / Math.max(1, sample.ops), 2) };
        };
        const writes = await measure((worker, i) => q.write(key(worker, i), `value-${i}`));
        const reads = await measure((worker, i) => q.read(key(worker, i)));
        points.push({ ...spec, writes, reads });
        ctx.log(`N=${n}: ${writes.opsPerSecond} writes/s, ${reads.opsPerSecond} reads/s`);
        bar.update(n);
      }
    } finally {
      bar.done();
      await cluster.close();
    }
    return { cpus: os.cpus().length, concurrency, points };
  },
  measure({ points, cpus, concurrency }: RedundancyObservations) {
    const one = points[0];
    const ratio = (value: number, base: number | undefined) => (base ? round(value / base, 2) : 0);
    const last = points.at(-1);
    return {
      tables: [
        {
          caption: `Majority quorums, ${concurrency} concurrent callers, closed loop; ${cpus} CPUs shared by every redis-server and the client`,
          columns: [
            "N",
            "R",
            "W",
            "writes/s",
            "× N=1",
            "write p99 ms",
            "server commands per write",
            "reads/s",
            "× N=1",
            "read p99 ms",
            "server commands per read",
            "errors",
          ],
          rows: points.map((p) => [
            p.n,
            p.r,
            p.w,
            p.writes.opsPerSecond,
            ratio(p.writes.opsPerSecond, one?.writes.opsPerSecond),
            p.writes.p99Ms,
            p.writes.serverCommandsPerOp,
            p.reads.opsPerSecond,
            ratio(p.reads.opsPerSecond, one?.reads.opsPerSecond),
            p.reads.p99Ms,
            p.reads.serverCommandsPerOp,
            p.writes.errors + p.reads.errors,
          ]),
        },
      ],
      charts: [
        {
          kind: "line",
          title: "Quorum throughput vs replicas (majority R and W)",
          xLabel: "replicas (N)",
          yLabel: "operations/s",
          series: [
            { label: "writes", points: points.map((p) => [p.n, p.writes.opsPerSecond] as [number, number]) },
            { label: "reads", points: points.map((p) => [p.n, p.reads.opsPerSecond] as [number, number]) },
          ],
          markers: [],
        },
      ],
      reading: [
        one && last
          ? `From N = 1 to N = ${last.n}: writes ${one.writes.opsPerSecond} → ${last.writes.opsPerSecond}/s (${ratio(last.writes.opsPerSecond, one.writes.opsPerSecond)}×), reads ${one.reads.opsPerSecond} → ${last.reads.opsPerSecond}/s (${ratio(last.reads.opsPerSecond, one.reads.opsPerSecond)}×).`
          : "No points.",
        one && last
          ? `Server work per operation, counted by the servers themselves: a write costs ${one.writes.serverCommandsPerOp} commands at N = 1 and ${last.writes.serverCommandsPerOp} at N = ${last.n}, a read ${one.reads.serverCommandsPerOp} and ${last.reads.serverCommandsPerOp} — every operation goes to all N replicas (a write twice: version lookup, then the write).`
          : "",
        "Here every replica shares the same cores with the client (and with whatever else runs on the machine), so rps is noisy and the server work shows in full; on separate machines the servers' share would not, but the client's fan-out and the wait for the slowest member of each quorum would.",
      ],
      outcomes: Object.fromEntries(
        points.map((p) => [
          `N=${p.n}`,
          { ok: p.writes.ops + p.reads.ops, fail: p.writes.errors + p.reads.errors, unknown: 0 },
        ]),
      ),
    };
  },
  invariants({ points }: RedundancyObservations) {
    const errors = points.reduce((sum, p) => sum + p.writes.errors + p.reads.errors, 0);
    return [
      {
        name: "with every replica up, no quorum operation fails",
        holds: errors === 0 && points.every((p) => p.writes.ops > 0 && p.reads.ops > 0),
        detail: `${errors} errors over ${points.length} points`,
      },
    ];
  },
});
