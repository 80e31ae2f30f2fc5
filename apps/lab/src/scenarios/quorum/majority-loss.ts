import { randomBytes } from "node:crypto";
import {
  compareVersions,
  type PresetName,
  presets,
  QuorumUnavailableError,
  resolveQuorum,
  type Version,
} from "@statelab/quorum";
import { defineScenario } from "../../compare/scenario.js";
import { pct } from "../../format.js";
import { startQuorumCluster } from "./cluster.js";

export interface LossStep {
  preset: PresetName;
  /** Replicas partitioned away (1…lost, black-holed relays). */
  lost: number;
  readsOk: number;
  readsFailed: number;
  writesOk: number;
  /** Unavailable, and the write may or may not have reached a replica. */
  writesUnknown: number;
  writesFailed: number;
  /** Slowest answer of an operation that failed, ms: unavailability must come within the timeout. */
  slowestFailureMs: number;
}

export interface MajorityLossObservations {
  n: number;
  timeoutMs: number;
  opsPerStep: number;
  steps: LossStep[];
  /** After healing: every acknowledged write read back with R = N. */
  afterHeal: Array<{ preset: PresetName; acknowledged: number; lost: number }>;
}

export const lossPresets: readonly PresetName[] = [
  "read-one-write-all",
  "read-all-write-one",
  "majority",
  "two-thirds",
];

/** What the quorum arithmetic says for `alive` replicas: R replies for a read; W and the version lookup for a write. */
export function expectedAvailability(preset: PresetName, n: number, alive: number) {
  const quorum = resolveQuorum(presets[preset](n));
  return { reads: alive >= quorum.r, writes: alive >= Math.max(quorum.w, quorum.versionQuorum) };
}

const spec = (preset: PresetName, n: number) => {
  const { r, w } = presets[preset](n);
  return `${preset} (R=${r}, W=${w})`;
};

/**
 * Quorum scenario 2, majority loss — "can the service survive a war?": replicas are
 * partitioned away one by one (their relays black-hole everything) and, at each step,
 * reads and writes are tried under each preset. Then the partition heals and every
 * acknowledged write is read back.
 */
export const majorityLoss = defineScenario({
  id: "majority-loss",
  title: "Quorum majority loss: availability as replicas are cut off",
  question:
    "As replicas are lost one by one, when does each quorum preset stop reading and writing — and is any acknowledged write lost?",
  timing: {
    quick: { estimateSeconds: 8, opsPerStep: 6 },
    full: { estimateSeconds: 10, opsPerStep: 20 },
  },
  async run(ctx, { opsPerStep }): Promise<MajorityLossObservations> {
    const n = 5;
    const timeoutMs = 500;
    const cluster = await startQuorumCluster(n, ["client"]);
    const side = cluster.sides.client;
    if (!side) throw new Error("no client side");
    const clients = lossPresets.map((preset) => ({
      preset,
      q: cluster.client("client", presets[preset](n), timeoutMs),
    }));
    const acked = new Map<PresetName, Map<string, Version>>(lossPresets.map((p) => [p, new Map()]));
    const steps: LossStep[] = [];
    const bar = ctx.progress("majority-loss", n + 1);
    try {
      for (let lost = 0; lost <= n; lost++) {
        side.relays.forEach((relay, i) => {
          if (i < lost) relay.set({ kind: "blackhole" });
        });
        await Promise.all(
          clients.map(async ({ preset, q }) => {
            const step: LossStep = {
              preset,
              lost,
              readsOk: 0,
              readsFailed: 0,
              writesOk: 0,
              writesUnknown: 0,
              writesFailed: 0,
              slowestFailureMs: 0,
            };
            const failed = (started: number) => {
              step.slowestFailureMs = Math.max(step.slowestFailureMs, Date.now() - started);
            };
            await Promise.all(
              Array.from({ length: opsPerStep }, async () => {
                const key = `loss:${randomBytes(4).toString("hex")}`;
                const started = Date.now();
                try {
                  acked.get(preset)?.set(key, await q.write(key, `${preset}@${lost}`));
                  step.writesOk++;
                } catch (error) {
                  failed(started);
                  if (error instanceof QuorumUnavailableError && !error.maybeApplied) step.writesFailed++;
                  else step.writesUnknown++;
                }
                const readStarted = Date.now();
                try {
                  await q.read(key);
                  step.readsOk++;
                } catch {
                  failed(readStarted);
                  step.readsFailed++;
                }
              }),
            );
            steps.push(step);
          }),
        );
        ctx.log(`${lost} of ${n} replicas cut off`);
        bar.update(lost + 1);
      }
      for (const relay of side.relays) relay.clear();
      await Promise.all(clients.map(({ q }) => q.settle()));
      const checker = cluster.client("client", { n, r: n, w: n }, 2000);
      const afterHeal = [];
      for (const { preset } of clients) {
        const writes = [...(acked.get(preset) ?? new Map<string, Version>())];
        const reads = await Promise.all(writes.map(([key]) => checker.read(key)));
        const lostWrites = writes.filter(([, version], i) => compareVersions(reads[i]?.version ?? null, version) < 0);
        afterHeal.push({ preset, acknowledged: writes.length, lost: lostWrites.length });
      }
      const order = (s: LossStep) => lossPresets.indexOf(s.preset) * (n + 1) + s.lost;
      return { n, timeoutMs, opsPerStep, steps: steps.sort((a, b) => order(a) - order(b)), afterHeal };
    } finally {
      bar.done();
      await cluster.close();
    }
  },
  measure({ n, steps, afterHeal, opsPerStep, timeoutMs }: MajorityLossObservations) {
    const tried = lossPresets.filter((preset) => steps.some((s) => s.preset === preset));
    const stopsAt = (preset: PresetName, kind: "reads" | "writes") =>
      steps.find((s) => s.preset === preset && (kind === "reads" ? s.readsOk : s.writesOk) === 0)?.lost ?? null;
    return {
      tables: [
        {
          caption: `N = ${n}; at each step ${opsPerStep} writes, each followed by a read, per preset; timeout ${timeoutMs} ms`,
          columns: [
            "preset",
            "replicas cut off",
            "reads ok",
            "writes ok",
            "writes unknown",
            "slowest failure ms",
            "expected",
          ],
          rows: steps.map((s) => {
            const expected = expectedAvailability(s.preset, n, n - s.lost);
            return [
              spec(s.preset, n),
              s.lost,
              pct(s.readsOk, s.readsOk + s.readsFailed),
              pct(s.writesOk, opsPerStep),
              s.writesUnknown,
              s.slowestFailureMs,
              `${expected.reads ? "reads" : "no reads"}, ${expected.writes ? "writes" : "no writes"}`,
            ];
          }),
        },
        {
          caption: "After healing: acknowledged writes read back with R = N",
          columns: ["preset", "acknowledged writes", "lost"],
          rows: afterHeal.map((h) => [spec(h.preset, n), h.acknowledged, h.lost]),
        },
      ],
      charts: [
        {
          kind: "line",
          title: "Writes that succeed as replicas are cut off",
          xLabel: "replicas cut off",
          yLabel: "% of writes ok",
          series: tried.map((preset) => ({
            label: spec(preset, n),
            points: steps
              .filter((s) => s.preset === preset)
              .sort((a, b) => a.lost - b.lost)
              .map((s) => [s.lost, Math.round((s.writesOk / opsPerStep) * 100)] as [number, number]),
          })),
          markers: [],
        },
      ],
      reading: tried.map(
        (preset) =>
          `${spec(preset, n)}: writes stop when ${stopsAt(preset, "writes") ?? "no"} replica(s) are cut off, reads when ${stopsAt(preset, "reads") ?? "no"} are.`,
      ),
      outcomes: Object.fromEntries(
        tried.map((preset) => {
          const mine = steps.filter((s) => s.preset === preset);
          const sum = (f: (s: LossStep) => number) => mine.reduce((total, s) => total + f(s), 0);
          return [
            spec(preset, n),
            {
              ok: sum((s) => s.readsOk + s.writesOk),
              fail: sum((s) => s.readsFailed + s.writesFailed),
              unknown: sum((s) => s.writesUnknown),
            },
          ];
        }),
      ),
    };
  },
  invariants({ n, steps, afterHeal, opsPerStep, timeoutMs }: MajorityLossObservations) {
    const mismatches = steps.filter((s) => {
      const expected = expectedAvailability(s.preset, n, n - s.lost);
      const reads = expected.reads ? s.readsFailed === 0 : s.readsOk === 0;
      const writes = expected.writes ? s.writesOk === opsPerStep : s.writesOk === 0;
      return !reads || !writes;
    });
    const slow = steps.filter((s) => s.slowestFailureMs > timeoutMs + 500);
    return [
      {
        name: "reads and writes work exactly while enough replicas answer (R; max(W, version lookup))",
        holds: mismatches.length === 0,
        detail:
          mismatches.length === 0
            ? `${steps.length} steps as expected`
            : mismatches.map((s) => `${s.preset} with ${s.lost} cut off`).join("; "),
      },
      {
        name: "no acknowledged write is lost after the partition heals",
        holds: afterHeal.every((h) => h.lost === 0),
        detail: afterHeal.map((h) => `${h.preset}: ${h.lost} of ${h.acknowledged}`).join("; "),
      },
      {
        name: "unavailable is answered within the timeout (+500 ms slack for a loaded machine)",
        holds: slow.length === 0,
        detail: `slowest failure ${Math.max(0, ...steps.map((s) => s.slowestFailureMs))} ms (timeout ${timeoutMs} ms)`,
      },
    ];
  },
});
