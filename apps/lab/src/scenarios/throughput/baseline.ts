import type { LatencySummary, OutcomeCounts } from "../../compare/results.js";
import { defineScenario } from "../../compare/scenario.js";
import { round } from "../../format.js";
import type { StackSpec } from "../../stack/stack.js";
import { median } from "../../stats.js";
import { fixedRateLatency, saturate } from "./saturate.js";

type Path = "direct" | "proxy";

interface Variant {
  label: string;
  /** Which no-auth variant it is compared with (same path). */
  path: Path;
  isReference: boolean;
  rpsRuns: number[];
  rps: number;
  errors: number;
  latency: LatencySummary;
  outcomes: OutcomeCounts;
}

interface Observations {
  connections: number;
  seconds: number;
  runs: number;
  fixedRate: number;
  variants: Variant[];
}

const stacks: Array<{ label: string; spec: StackSpec }> = [
  { label: "stateful (Redis session)", spec: { app: "stateful", label: "stateful" } },
  { label: "stateless (denylist)", spec: { app: "stateless", label: "stateless" } },
  { label: "stateless (no revocation)", spec: { app: "stateless", label: "sl-none", env: { REVOCATION: "none" } } },
];

const referenceLabel = (path: Path) => `no auth (GET /healthz), ${path}`;

/**
 * Scenario 1, baseline: what authentication costs per request. Throughput at
 * saturation (closed loop) and latency at a fixed rate (open loop), each stack
 * directly and through its proxy, with a no-auth route on the same processes
 * as the reference; ratios are taken within this run.
 */
export const baseline = defineScenario({
  id: "baseline",
  title: "Baseline: the cost of GET /me per architecture",
  question: "How many GET /me per second does each architecture serve, and at what latency, compared with no auth?",
  timing: {
    quick: { estimateSeconds: 40, seconds: 1, runs: 1 },
    full: { estimateSeconds: 150, seconds: 4, runs: 3 },
  },
  async run(ctx, { seconds, runs }): Promise<Observations> {
    const connections = 16;
    const fixedRate = 200;
    const plan: Array<{
      label: string;
      path: Path;
      url: string;
      route: string;
      users: Awaited<ReturnType<typeof ctx.users>>;
      isReference: boolean;
    }> = [];
    // Start (or reuse) the three stacks at once: their startups overlap.
    const started = await Promise.all(
      stacks.map(async ({ label, spec }) => {
        const stack = await ctx.stack(spec);
        return { label, stack, users: await ctx.users(stack, 12) };
      }),
    );
    for (const { label, stack, users } of started) {
      const direct = stack.instances[0]?.url as string;
      if (plan.length === 0) {
        // The reference: the same processes and proxy, a route with no auth at all.
        plan.push({
          label: referenceLabel("direct"),
          path: "direct",
          url: direct,
          route: "/healthz",
          users: [],
          isReference: true,
        });
        plan.push({
          label: referenceLabel("proxy"),
          path: "proxy",
          url: stack.url,
          route: "/healthz",
          users: [],
          isReference: true,
        });
      }
      plan.push({ label: `${label}, direct`, path: "direct", url: direct, route: "/me", users, isReference: false });
      plan.push({ label: `${label}, proxy`, path: "proxy", url: stack.url, route: "/me", users, isReference: false });
    }
    const bar = ctx.progress("baseline", plan.length * (runs + 1));
    let done = 0;
    const rpsRuns = new Map<string, number[]>();
    const errors = new Map<string, number>();
    // Interleaved: every variant once per round, so drift on a noisy machine hits all alike.
    for (let round = 0; round < runs; round++) {
      for (const item of plan) {
        const sample = await saturate(`${item.url}${item.route}`, item.users, { connections, seconds });
        rpsRuns.set(item.label, [...(rpsRuns.get(item.label) ?? []), sample.rps]);
        errors.set(item.label, (errors.get(item.label) ?? 0) + sample.errors);
        bar.update(++done);
      }
    }
    const variants: Variant[] = [];
    for (const item of plan) {
      const fixed = await fixedRateLatency(item.url, item.route, item.users, { rate: fixedRate, seconds });
      const runsOf = rpsRuns.get(item.label) ?? [];
      variants.push({
        label: item.label,
        path: item.path,
        isReference: item.isReference,
        rpsRuns: runsOf,
        rps: median(runsOf) ?? 0,
        errors: errors.get(item.label) ?? 0,
        latency: fixed.latency,
        outcomes: fixed.outcomes,
      });
      bar.update(++done);
    }
    bar.done();
    return { connections, seconds, runs, fixedRate, variants };
  },
  measure({ variants, connections, seconds, runs, fixedRate }: Observations) {
    const reference = (path: Path) => variants.find((v) => v.isReference && v.path === path)?.rps ?? 0;
    const ratio = (v: Variant) => (reference(v.path) > 0 ? round(v.rps / reference(v.path), 2) : null);
    const authed = variants.filter((v) => !v.isReference);
    const reading: string[] = [];
    const direct = authed.filter((v) => v.path === "direct").sort((a, b) => b.rps - a.rps);
    const [fastest, slowest] = [direct[0], direct.at(-1)];
    if (fastest && slowest && fastest !== slowest) {
      reading.push(
        `Directly on one instance, ${fastest.label.replace(", direct", "")} served the most GET /me per second ` +
          `(${fastest.rps}, ${ratio(fastest)}× no-auth) and ${slowest.label.replace(", direct", "")} the fewest ` +
          `(${slowest.rps}, ${ratio(slowest)}×).`,
      );
    }
    const proxied = authed.filter((v) => v.path === "proxy");
    const proxyCost = proxied.map((v) => {
      const twin = direct.find((d) => d.label.replace(", direct", "") === v.label.replace(", proxy", ""));
      return twin && twin.rps > 0 ? v.rps / twin.rps : 0;
    });
    if (proxyCost.length > 0) {
      reading.push(
        `Through the proxy (3 instances behind it), throughput was ${round(Math.min(...proxyCost), 2)}–${round(Math.max(...proxyCost), 2)}× ` +
          "the single-instance figure: on 2 cores the proxy and the load generator compete with the instances, so the proxy hop costs more than the extra instances give.",
      );
    }
    reading.push(
      "The no-auth reference is GET /healthz on the same processes: it also skips the Postgres read of the user that " +
        "GET /me does in every variant, so each ratio is the cost of authentication plus that one lookup.",
    );
    const worstP99 = [...authed].sort((a, b) => b.latency.p99 - a.latency.p99)[0];
    if (worstP99) {
      reading.push(
        `At a fixed ${fixedRate} req/s (below saturation) the highest p99 was ${worstP99.latency.p99} ms (${worstP99.label}).`,
      );
    }
    return {
      tables: [
        {
          caption: `Saturation: ${connections} connections, ${seconds} s × ${runs} interleaved run${runs > 1 ? "s" : ""} (median); latency at a fixed ${fixedRate} req/s, open loop`,
          columns: ["variant", "rps", "÷ no-auth (same path)", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"],
          rows: variants.map((v) => [
            v.label,
            v.rps,
            v.isReference ? 1 : ratio(v),
            v.latency.p50,
            v.latency.p90,
            v.latency.p99,
            v.latency.max,
            v.errors + v.outcomes.fail + v.outcomes.unknown,
          ]),
        },
      ],
      charts: [
        {
          kind: "bar",
          title: "GET /me per second at saturation",
          yLabel: "requests/s",
          categories: variants.map((v) => v.label),
          series: [{ label: "rps (median)", values: variants.map((v) => v.rps) }],
          stacked: false,
        },
        {
          kind: "bar",
          title: `Latency percentiles at a fixed ${fixedRate} req/s`,
          yLabel: "ms",
          categories: variants.map((v) => v.label),
          series: (["p50", "p90", "p99"] as const).map((p) => ({
            label: p,
            values: variants.map((v) => v.latency[p]),
          })),
          stacked: false,
        },
      ],
      reading,
      outcomes: Object.fromEntries(variants.map((v) => [v.label, v.outcomes])),
    };
  },
  invariants({ variants }: Observations) {
    return [
      {
        name: "every variant served its requests without errors",
        holds: variants.every((v) => v.errors === 0 && v.outcomes.fail === 0 && v.outcomes.unknown === 0),
        detail:
          variants
            .filter((v) => v.errors + v.outcomes.fail + v.outcomes.unknown > 0)
            .map((v) => `${v.label}: ${v.errors + v.outcomes.fail + v.outcomes.unknown} errors`)
            .join("; ") || "0 errors in every variant",
      },
      {
        name: "authentication costs something: no authed variant beats no-auth by more than noise (10%)",
        holds: variants
          .filter((v) => !v.isReference)
          .every((v) => {
            const ref = variants.find((r) => r.isReference && r.path === v.path)?.rps ?? 0;
            return ref === 0 || v.rps <= ref * 1.1;
          }),
        detail: "GET /me with auth does strictly more work than GET /healthz on the same process",
      },
    ];
  },
});
