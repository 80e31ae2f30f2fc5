import type { StrategyName } from "@statelab/proxy";
import type { BarChart } from "../../compare/results.js";
import { defineScenario, type ScenarioContext } from "../../compare/scenario.js";
import { pct } from "../../format.js";
import { setStrategy } from "../../stack/admin.js";
import type { Stack, StackSpec } from "../../stack/stack.js";
import { mapLimit } from "../../stack/users.js";

interface Variant {
  label: string;
  strategy: StrategyName;
  users: number;
  meRequests: number;
  /** GET /me answered 401: the instance did not know the user's session. */
  meLost: number;
  usersLost: number;
  chatReads: number;
  /** GET /chat/partners that showed the partner this user added at the start. */
  chatConsistent: number;
  perInstance: Record<string, number>;
}

interface Observations {
  requestsPerUser: number;
  variants: Variant[];
}

const specs: Array<{ spec: StackSpec; strategy: StrategyName; label: string }> = [
  {
    label: "stateful, memory store, round-robin",
    strategy: "round-robin",
    spec: { app: "stateful", label: "sf-memory", env: { SESSION_STORE: "memory" } },
  },
  {
    label: "stateful, memory store, sticky",
    strategy: "sticky-cookie",
    spec: { app: "stateful", label: "sf-memory", env: { SESSION_STORE: "memory" } },
  },
  {
    label: "stateful, Redis store, round-robin",
    strategy: "round-robin",
    spec: { app: "stateful", label: "stateful" },
  },
  { label: "stateless, round-robin", strategy: "round-robin", spec: { app: "stateless", label: "stateless" } },
];

async function drive(
  ctx: ScenarioContext,
  stack: Stack,
  variantSpec: { label: string; strategy: StrategyName },
  timing: { requestsPerUser: number; usersPerStack: number },
) {
  const { label, strategy } = variantSpec;
  const requests = timing.requestsPerUser;
  const before = stack.strategy;
  await setStrategy(stack, strategy);
  try {
    const users = await ctx.users(stack, timing.usersPerStack);
    const variant: Variant = {
      label,
      strategy,
      users: users.length,
      meRequests: 0,
      meLost: 0,
      usersLost: 0,
      chatReads: 0,
      chatConsistent: 0,
      perInstance: {},
    };
    const bar = ctx.progress(label, users.length * requests);
    let done = 0;
    await mapLimit(users, 4, async (user) => {
      const partner = `partner-of-${user.username}`;
      await user.call(stack.url, "POST", "/chat/partners", { partner });
      let lost = false;
      for (let i = 0; i < requests; i++) {
        const me = await user.call(stack.url, "GET", "/me");
        variant.meRequests++;
        if (me.instance) variant.perInstance[me.instance] = (variant.perInstance[me.instance] ?? 0) + 1;
        if (me.status === 401) {
          variant.meLost++;
          lost = true;
        }
        const chat = await user.call(stack.url, "GET", "/chat/partners");
        variant.chatReads++;
        const partners = (chat.body?.partners as string[] | undefined) ?? [];
        if (chat.status === 200 && partners.includes(partner)) variant.chatConsistent++;
        bar.update(++done);
      }
      if (lost) variant.usersLost++;
    });
    bar.done();
    return variant;
  } finally {
    await setStrategy(stack, before);
  }
}

/**
 * Scenario 2, routing: where a user's state lives decides which routing works.
 * Per-process sessions need sticky routing; shared (Redis) or self-contained
 * (JWT) credentials survive any routing; per-process app state (/chat/partners)
 * breaks under round-robin whatever the auth.
 */
export const routing = defineScenario({
  id: "routing",
  title: "Routing: round-robin vs sticky, per-process vs shared state",
  question: "Which share of requests lose the user when requests are spread over 3 instances?",
  timing: {
    quick: { estimateSeconds: 25, requestsPerUser: 9, usersPerStack: 12 },
    full: { estimateSeconds: 50, requestsPerUser: 30, usersPerStack: 30 },
  },
  async run(ctx, timing): Promise<Observations> {
    const { requestsPerUser } = timing;
    const variants: Variant[] = [];
    for (const { spec, strategy, label } of specs) {
      variants.push(await drive(ctx, await ctx.stack(spec), { label, strategy }, timing));
    }
    return { requestsPerUser, variants };
  },
  measure({ variants, requestsPerUser }: Observations) {
    const byIndex = (v: Variant) => Object.entries(v.perInstance).sort(([a], [b]) => a.localeCompare(b));
    const distribution: BarChart = {
      kind: "bar",
      title: "Which instance answered GET /me (per variant)",
      yLabel: "requests",
      categories: variants.map((v) => v.label),
      series: [0, 1, 2].map((i) => ({
        label: `instance #${i + 1}`,
        values: variants.map((v) => byIndex(v)[i]?.[1] ?? 0),
      })),
      stacked: true,
    };
    const memoryRr = variants[0];
    const sticky = variants[1];
    const stateless = variants[3];
    const reading: string[] = [];
    if (memoryRr && sticky) {
      reading.push(
        `With sessions in process memory, round-robin lost the user on ${pct(memoryRr.meLost, memoryRr.meRequests)} of /me requests ` +
          `(${memoryRr.usersLost} of ${memoryRr.users} users hit at least one 401); the same store behind sticky cookies lost ${pct(sticky.meLost, sticky.meRequests)}.`,
      );
    }
    for (const v of variants.slice(2)) {
      reading.push(
        `${v.label}: ${pct(v.meLost, v.meRequests)} of /me requests lost the user — the credential is valid on every instance.`,
      );
    }
    if (stateless) {
      reading.push(
        `But /chat/partners lives in each process: behind round-robin the stateless stack showed a user's own chat partner on only ` +
          `${pct(stateless.chatConsistent, stateless.chatReads)} of reads — any per-process state makes a server stateful again.`,
      );
    }
    return {
      tables: [
        {
          caption: `${requestsPerUser} GET /me and ${requestsPerUser} GET /chat/partners per user, through the proxy`,
          columns: [
            "variant",
            "users",
            "/me requests",
            "lost (401)",
            "share lost",
            "users lost",
            "chat reads consistent",
          ],
          rows: variants.map((v) => [
            v.label,
            v.users,
            v.meRequests,
            v.meLost,
            pct(v.meLost, v.meRequests),
            v.usersLost,
            pct(v.chatConsistent, v.chatReads),
          ]),
        },
      ],
      charts: [
        {
          kind: "bar",
          title: "Share of requests that lost the user or their chat state",
          yLabel: "% of requests",
          categories: variants.map((v) => v.label),
          series: [
            { label: "/me → 401", values: variants.map((v) => (100 * v.meLost) / Math.max(1, v.meRequests)) },
            {
              label: "/chat/partners without the partner",
              values: variants.map((v) => (100 * (v.chatReads - v.chatConsistent)) / Math.max(1, v.chatReads)),
            },
          ],
          stacked: false,
        },
        distribution,
      ],
      reading,
      outcomes: Object.fromEntries(
        variants.map((v) => [v.label, { ok: v.meRequests - v.meLost, fail: v.meLost, unknown: 0 }]),
      ),
    };
  },
  invariants(observations) {
    const [memoryRr, sticky, redisRr, stateless] = observations.variants;
    return [
      {
        name: "memory store behind round-robin loses users",
        holds: (memoryRr?.meLost ?? 0) > 0,
        detail: `${memoryRr?.meLost} of ${memoryRr?.meRequests} /me requests answered 401`,
      },
      {
        name: "memory store behind sticky cookies loses none",
        holds: sticky?.meLost === 0,
        detail: `${sticky?.meLost} of ${sticky?.meRequests} answered 401`,
      },
      {
        name: "Redis store behind round-robin loses none",
        holds: redisRr?.meLost === 0,
        detail: `${redisRr?.meLost} of ${redisRr?.meRequests} answered 401`,
      },
      {
        name: "stateless behind round-robin loses none",
        holds: stateless?.meLost === 0,
        detail: `${stateless?.meLost} of ${stateless?.meRequests} answered 401`,
      },
    ];
  },
});
