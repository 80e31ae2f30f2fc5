import os from "node:os";
import { defineScenario } from "../../compare/scenario.js";
import { round } from "../../format.js";
import { drain, enable } from "../../stack/admin.js";
import type { StackSpec } from "../../stack/stack.js";
import { median } from "../../stats.js";
import { saturate } from "./saturate.js";

interface Point {
  instances: number;
  rpsRuns: number[];
  rps: number;
  p99: number;
  requests: number;
  errors: number;
}

interface Curve {
  label: string;
  points: Point[];
}

interface Observations {
  cpus: number;
  connections: number;
  seconds: number;
  curves: Curve[];
}

const stacks: Array<{ label: string; spec: StackSpec }> = [
  { label: "stateful (Redis session, sticky)", spec: { app: "stateful", label: "stateful" } },
  { label: "stateless (denylist, round-robin)", spec: { app: "stateless", label: "stateless" } },
];

/**
 * Scenario 9, scale-out: rps through the proxy with 1, 2 and 3 instances in
 * rotation (the others drained through the admin API, so nothing restarts).
 * On one machine every instance shares the same cores with the proxy, the
 * stores and the load generator: the curve shows that ceiling honestly.
 */
export const scaleOut = defineScenario({
  id: "scale-out",
  title: "Scale-out: throughput with 1, 2, 3 instances",
  question: "Does adding instances behind the proxy add throughput, for each architecture, on this machine?",
  timing: {
    quick: { estimateSeconds: 25, seconds: 1.5, runs: 1 },
    full: { estimateSeconds: 90, seconds: 4, runs: 3 },
  },
  async run(ctx, { seconds, runs }): Promise<Observations> {
    const connections = 24;
    const curves: Curve[] = [];
    for (const { label, spec } of stacks) {
      const stack = await ctx.stack(spec);
      const users = await ctx.users(stack, 24);
      const bar = ctx.progress(label, stack.instances.length * runs);
      const points: Point[] = [];
      try {
        for (let active = 1; active <= stack.instances.length; active++) {
          for (const [i, instance] of stack.instances.entries()) {
            await (i < active ? enable(stack, instance.id) : drain(stack, instance.id));
          }
          const samples = [];
          for (let r = 0; r < runs; r++) {
            samples.push(await saturate(`${stack.url}/me`, users, { connections, seconds }));
            bar.update(points.length * runs + r + 1);
          }
          points.push({
            instances: active,
            rpsRuns: samples.map((s) => s.rps),
            rps: median(samples.map((s) => s.rps)) ?? 0,
            p99: median(samples.map((s) => s.p99)) ?? 0,
            requests: samples.reduce((sum, s) => sum + s.total, 0),
            errors: samples.reduce((sum, s) => sum + s.errors, 0),
          });
        }
      } finally {
        for (const instance of stack.instances) await enable(stack, instance.id);
      }
      bar.done();
      curves.push({ label, points });
    }
    return { cpus: os.cpus().length, connections, seconds, curves };
  },
  measure({ curves, cpus, connections, seconds }: Observations) {
    const speedup = (curve: Curve) => {
      const one = curve.points[0]?.rps ?? 0;
      const last = curve.points.at(-1);
      return one > 0 && last ? round(last.rps / one, 2) : 0;
    };
    const reading = curves.map(
      (curve) =>
        `${curve.label}: ${curve.points.map((p) => `${p.rps} rps with ${p.instances}`).join(", ")} — ` +
        `${speedup(curve)}× from 1 to ${curve.points.at(-1)?.instances ?? 0} instances.`,
    );
    reading.push(
      `This machine has ${cpus} CPU${cpus === 1 ? "" : "s"}, shared by every instance, the proxy, Postgres, Redis and the load generator, ` +
        "so instances cannot add cores here: scale-out buys throughput only when each instance brings its own machine. " +
        "What the curve does show is that neither architecture needs anything but more processes to scale out — the stateful one because its sessions live in Redis, not in the instance.",
    );
    return {
      tables: [
        {
          caption: `Through the proxy, ${connections} connections, ${seconds} s per point (median of runs)`,
          columns: ["stack", "instances", "rps", "p99 ms", "errors", "× one instance"],
          rows: curves.flatMap((curve) =>
            curve.points.map((p) => [
              curve.label,
              p.instances,
              p.rps,
              p.p99,
              p.errors,
              round(p.rps / Math.max(1, curve.points[0]?.rps ?? 1), 2),
            ]),
          ),
        },
      ],
      charts: [
        {
          kind: "line",
          title: "Throughput vs instances in rotation",
          xLabel: "instances",
          yLabel: "requests/s",
          series: curves.map((curve) => ({
            label: curve.label,
            points: curve.points.map((p) => [p.instances, p.rps]),
          })),
          markers: [],
        },
      ],
      reading,
      outcomes: Object.fromEntries(
        curves.map((curve) => [
          curve.label,
          {
            ok: curve.points.reduce((sum, p) => sum + p.requests - p.errors, 0),
            fail: curve.points.reduce((sum, p) => sum + p.errors, 0),
            unknown: 0,
          },
        ]),
      ),
    };
  },
  invariants({ curves }: Observations) {
    return [
      {
        name: "draining instances through the admin API loses no request",
        holds: curves.every((curve) => curve.points.every((p) => p.errors === 0)),
        detail: curves.map((c) => `${c.label}: ${c.points.reduce((s, p) => s + p.errors, 0)} errors`).join("; "),
      },
    ];
  },
});
