import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { BarChart, Invariant } from "../results.js";
import { authKindOf, defineScenario, type ScenarioContext, type StackSpec } from "../scenario.js";
import type { Stack } from "../topology.js";
import { LabUser, mapLimit } from "../users.js";
import { maxOf, median, percentile } from "./stats.js";
import { round, seconds } from "./util.js";

type VariantKey = "store" | "cache" | "denylist" | "expiry";

interface Try {
  /** How long after its login the user logged out (a logout falls anywhere in a snapshot's or token's life). */
  ageAtLogoutMs: number;
  /** GET /me with the copied credentials on instance 2 before the logout: must be 200. */
  beforeStatus: number;
  /** `auth.source` of that answer (stateful: "session" or "cache"). */
  beforeSource: string | null;
  logoutStatus: number;
  /** From the logout's answer to the send time of the first poll answered 401; null: never within the bound. */
  latencyMs: number | null;
  polls: number;
  /** Polls that got no HTTP answer. */
  pollErrors: number;
  /** error.code of the 401. */
  code: string | null;
}

interface MeCost {
  requests: number;
  ok: number;
  /** Of the 200 answers, ms. */
  p50Ms: number | null;
  p90Ms: number | null;
}

interface Variant {
  key: VariantKey;
  label: string;
  /** What ends a logged-out credential on another instance. */
  mechanism: string;
  /** Longest a revocation may take by design: 0, the snapshot's life, the token's life. */
  boundMs: number;
  /** Polling gives up here: the bound + 3 s. */
  giveUpMs: number;
  tries: Try[];
  meCost: MeCost;
}

export interface RevocationObservations {
  pollIntervalMs: number;
  variants: Variant[];
}

const POLL_MS = 100;
const GIVE_UP_EXTRA_MS = 3000;
/** Latency that still counts as "the first poll": a poll is due every POLL_MS. */
const IMMEDIATE_MS = 200;
const SLACK_MS = 1000;
const WARM_UP = 5;

interface Plan {
  key: VariantKey;
  label: string;
  mechanism: string;
  boundMs: number;
  spec: StackSpec;
}

function plans(quick: boolean): Plan[] {
  const accessTtl = quick ? 5 : 10;
  return [
    {
      key: "store",
      label: "stateful, Redis store",
      mechanism: "the session key is deleted; every request reads Redis",
      boundMs: 0,
      spec: { app: "stateful", label: "stateful" },
    },
    {
      key: "cache",
      label: "stateful, SESSION_CACHE=3",
      mechanism: "GETs trust a signed 3 s snapshot cookie, then read Redis",
      boundMs: 3000,
      // Two instances are all a try uses: a stack of this scenario's own need not start a third.
      spec: { app: "stateful", label: "sf-cache", count: 2, env: { SESSION_CACHE: "3" } },
    },
    {
      key: "denylist",
      label: "stateless, REVOCATION=denylist",
      mechanism: "the jti is denylisted in Redis; every request MGETs it",
      boundMs: 0,
      spec: { app: "stateless", label: "stateless" },
    },
    {
      key: "expiry",
      label: `stateless, REVOCATION=none, ACCESS_TTL=${accessTtl}`,
      mechanism: "nothing: the access token works until its exp",
      // CLOCK_TOLERANCE=0: the token then dies at exp exactly, so the bound is ACCESS_TTL.
      boundMs: accessTtl * 1000,
      spec: {
        app: "stateless",
        label: "sl-short",
        count: 2,
        env: { REVOCATION: "none", ACCESS_TTL: String(accessTtl), CLOCK_TOLERANCE: "0" },
      },
    },
  ];
}

async function safeCall(user: LabUser, url: string, method: string, path: string) {
  try {
    return await user.call(url, method, path);
  } catch {
    return null;
  }
}

/** At most `limit` of the tasks given to it run at once; the rest wait their turn. */
function createLimiter(limit: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * One try: log in on instance 1, copy the credentials (another device, or a
 * stolen copy), log out on instance 1 with the original, then poll GET /me with
 * the copy on instance 2 until it is refused.
 */
async function oneTry(
  ctx: ScenarioContext,
  stack: Stack,
  plan: Plan,
  user: LabUser,
  targetAgeMs: number,
  loginSlot: ReturnType<typeof createLimiter>,
): Promise<Try> {
  const first = (stack.instances[0] as Stack["instances"][number]).url;
  const second = (stack.instances[1] ?? stack.instances[0])?.url ?? first;
  await loginSlot(() => user.login(first));
  const loggedInAt = performance.now();
  const copy = user.clone();
  const before = await safeCall(copy, second, "GET", "/me");
  await ctx.sleep(Math.max(0, loggedInAt + targetAgeMs - performance.now()));
  const ageAtLogoutMs = performance.now() - loggedInAt;
  const logout = await safeCall(user, first, "POST", "/auth/logout");
  const loggedOutAt = performance.now();
  const result: Try = {
    ageAtLogoutMs: Math.round(ageAtLogoutMs),
    beforeStatus: before?.status ?? 0,
    beforeSource: ((before?.body?.auth as { source?: unknown } | undefined)?.source as string | undefined) ?? null,
    logoutStatus: logout?.status ?? 0,
    latencyMs: null,
    polls: 0,
    pollErrors: 0,
    code: null,
  };
  const giveUpMs = plan.boundMs + GIVE_UP_EXTRA_MS;
  const maxPolls = Math.ceil(giveUpMs / POLL_MS) + 1;
  for (let k = 0; k < maxPolls; k++) {
    const sentAt = performance.now();
    if (sentAt - loggedOutAt > giveUpMs) break;
    const reply = await safeCall(copy, second, "GET", "/me");
    result.polls++;
    if (!reply) result.pollErrors++;
    else if (reply.status === 401) {
      result.latencyMs = Math.round(sentAt - loggedOutAt);
      result.code = reply.code;
      break;
    }
    await ctx.sleep(Math.max(0, loggedOutAt + (k + 1) * POLL_MS - performance.now()));
  }
  return result;
}

/**
 * What each variant's check costs a request: sequential GET /me on instance 2 with a
 * live login, interleaved across the variants so that noise from the rest of the
 * machine falls on all of them alike.
 */
async function meCosts(targets: ReadonlyArray<{ stack: Stack; user: LabUser }>, requests: number): Promise<MeCost[]> {
  const urls = targets.map(({ stack }) => ({
    first: (stack.instances[0] as Stack["instances"][number]).url,
    second: (stack.instances[1] ?? stack.instances[0])?.url ?? "",
  }));
  await Promise.all(targets.map(({ user }, j) => user.login(urls[j]?.first ?? "")));
  const samples: number[][] = targets.map(() => []);
  for (let i = 0; i < requests + WARM_UP; i++) {
    for (const [j, { user }] of targets.entries()) {
      const url = urls[j] as { first: string; second: string };
      const started = performance.now();
      const reply = await safeCall(user, url.second, "GET", "/me");
      const elapsed = performance.now() - started;
      // The first rounds warm connections and caches up; a short-lived token that expired is renewed.
      if (reply?.status === 200 && i >= WARM_UP) samples[j]?.push(elapsed);
      if (reply?.status === 401) await user.login(url.first).catch(() => {});
    }
  }
  return samples.map((values) => {
    const p50 = median(values);
    const p90 = percentile(values, 90);
    return {
      requests,
      ok: values.length,
      p50Ms: p50 === null ? null : round(p50, 2),
      p90Ms: p90 === null ? null : round(p90, 2),
    };
  });
}

const isValid = (t: Try) => t.beforeStatus === 200 && t.logoutStatus === 204;
const latencies = (v: Variant) => v.tries.flatMap((t) => (t.latencyMs === null ? [] : [t.latencyMs]));
/** For the chart: a try never revoked counts as the give-up time. */
const chartLatencies = (v: Variant) => v.tries.map((t) => t.latencyMs ?? v.giveUpMs);
const msCell = (value: number | null) => (value === null ? "—" : Math.round(value));

/**
 * Scenario: how long a logged-out credential keeps working on another instance,
 * across the spectrum from a session read on every request to a JWT checked by
 * nobody, with what each costs per request beside it.
 */
export const revocation = defineScenario<RevocationObservations>({
  id: "revocation",
  title: "Revocation: from logout to the first 401 on another instance",
  question: "After a logout on instance 1, how long does a copy of the credentials keep working on instance 2?",
  estimateSeconds: (quick) => (quick ? 20 : 45),
  async run(ctx) {
    const tries = ctx.quick ? 3 : 10;
    const costRequests = ctx.quick ? 60 : 300;
    const all = plans(ctx.quick);
    const stacks = await Promise.all(all.map((plan) => ctx.stack(plan.spec)));
    // R users for the tries plus one for the cost, only signed up: each logs in right before its try.
    const run = randomBytes(3).toString("hex");
    const users = all.map((plan, i) =>
      Array.from(
        { length: tries + 1 },
        (_, u) => new LabUser(authKindOf((stacks[i] as Stack).app), `rev${plan.key}_${run}_${u}`, "lab-password-1"),
      ),
    );
    await mapLimit(
      users.flatMap((list, i) => list.map((user) => ({ user, url: (stacks[i] as Stack).url }))),
      4,
      async ({ user, url }) => {
        const reply = await user.signup(url);
        if (reply.status !== 201) throw new Error(`signup of ${user.username} failed: ${reply.status} ${reply.code}`);
      },
    );
    // Logins hash with argon2 (19 MiB, CPU-bound): the tries run side by side, their logins four at a time.
    const loginSlot = createLimiter(4);
    const bar = ctx.progress("logout → 401 (all variants at once)", all.length * tries);
    let done = 0;
    // Variants and tries run side by side: each try waits out its own window, so in sequence
    // the run would take tries × the longest window. A try's logout happens at an age spread
    // over 0–60% of the window, as a real logout falls anywhere in a snapshot's or token's life.
    const results = await Promise.all(
      all.map((plan, i) =>
        Promise.all(
          Array.from({ length: tries }, async (_, t) => {
            const targetAgeMs = tries > 1 ? Math.round((0.6 * plan.boundMs * t) / (tries - 1)) : 0;
            const result = await oneTry(
              ctx,
              stacks[i] as Stack,
              plan,
              users[i]?.[t] as LabUser,
              targetAgeMs,
              loginSlot,
            );
            bar.update(++done);
            return result;
          }),
        ),
      ),
    );
    bar.done();
    const costs = await meCosts(
      all.map((_, i) => ({ stack: stacks[i] as Stack, user: users[i]?.[tries] as LabUser })),
      costRequests,
    );
    const variants: Variant[] = all.map((plan, i) => ({
      key: plan.key,
      label: plan.label,
      mechanism: plan.mechanism,
      boundMs: plan.boundMs,
      giveUpMs: plan.boundMs + GIVE_UP_EXTRA_MS,
      tries: results[i] ?? [],
      meCost: costs[i] as MeCost,
    }));
    return { pollIntervalMs: POLL_MS, variants };
  },

  measure({ pollIntervalMs, variants }) {
    const byKey = (key: VariantKey) => variants.find((v) => v.key === key);
    const chart: BarChart = {
      kind: "bar",
      title: "Time from logout to the first 401 on another instance",
      yLabel: "ms",
      categories: variants.map((v) => v.label),
      series: [
        { label: "median", values: variants.map((v) => median(chartLatencies(v)) ?? 0) },
        { label: "max (never revoked = give-up time)", values: variants.map((v) => maxOf(chartLatencies(v)) ?? 0) },
      ],
      stacked: false,
    };
    const meP50 = (v: Variant | undefined) => (v?.meCost.p50Ms === null || !v ? "?" : `${v.meCost.p50Ms} ms`);
    const never = (v: Variant) => v.tries.filter((t) => t.latencyMs === null).length;
    const summary = (v: Variant) => {
      const values = latencies(v);
      const missing = never(v);
      return (
        `median ${seconds(median(values) ?? 0)}, max ${seconds(maxOf(values) ?? 0)}` +
        (missing > 0 ? `; ${missing} of ${v.tries.length} tries still worked after ${seconds(v.giveUpMs)}` : "")
      );
    };
    const reading: string[] = [];
    const immediate = [byKey("store"), byKey("denylist")].filter((v): v is Variant => !!v);
    if (immediate.length > 0) {
      const parts = immediate.map((v) => {
        const first = v.tries.filter((t) => t.latencyMs !== null && t.latencyMs < IMMEDIATE_MS).length;
        return `${v.label}: ${first} of ${v.tries.length} tries refused on the first poll (max ${seconds(maxOf(latencies(v)) ?? 0)}), /me ${meP50(v)}`;
      });
      const allFirst = immediate.every((v) => v.tries.every((t) => t.latencyMs !== null && t.latencyMs < IMMEDIATE_MS));
      reading.push(
        `${parts.join("; ")}. ` +
          (allFirst
            ? "Revocation is immediate because every request asks Redis — that lookup is the price."
            : "Not every try was refused at once, though every request asks Redis: see the table."),
      );
    }
    const cache = byKey("cache");
    if (cache) {
      const store = byKey("store");
      reading.push(
        `With SESSION_CACHE=3 the logged-out session kept working on the other instance for ${summary(cache)} ` +
          `(bound ${seconds(cache.boundMs)}): its GETs read the signed snapshot instead of Redis ` +
          `(/me ${meP50(cache)} against ${meP50(store)} with the store on every request).`,
      );
    }
    const expiry = byKey("expiry");
    if (expiry) {
      const denylist = byKey("denylist");
      reading.push(
        `With REVOCATION=none the logged-out access token kept working for ${summary(expiry)}, up to its ` +
          `${seconds(expiry.boundMs)} lifetime; nothing is looked up per request (/me ${meP50(expiry)} against ` +
          `${meP50(denylist)} with the denylist).`,
      );
    }
    if (cache || expiry) {
      reading.push(
        `Logouts fell at ages spread over 0–60% of each window, so the latency there is what was left of the ` +
          `snapshot or token (window − age), measured in ${pollIntervalMs} ms polls.`,
      );
    }
    return {
      tables: [
        {
          caption:
            `Logout on instance 1, then GET /me every ${pollIntervalMs} ms with a copy of the credentials on instance 2; ` +
            "/me cost: sequential GET /me on instance 2 with a live login",
          columns: [
            "variant",
            "what revokes",
            "tries",
            "refused within bound",
            "median ms",
            "max ms",
            "bound ms",
            "/me p50 ms",
            "/me p90 ms",
          ],
          rows: variants.map((v) => [
            v.label,
            v.mechanism,
            v.tries.length,
            v.tries.filter((t) => t.latencyMs !== null && t.latencyMs <= v.boundMs + SLACK_MS).length,
            msCell(median(latencies(v))),
            msCell(maxOf(latencies(v))),
            v.boundMs,
            v.meCost.p50Ms,
            v.meCost.p90Ms,
          ]),
        },
      ],
      charts: [chart],
      reading,
      outcomes: Object.fromEntries(
        variants.map((v) => {
          const revoked = v.tries.filter((t) => isValid(t) && t.latencyMs !== null).length;
          return [v.label, { ok: revoked, fail: v.tries.length - revoked, unknown: 0 }];
        }),
      ),
    };
  },

  invariants({ variants }) {
    const byKey = (key: VariantKey) => variants.find((v) => v.key === key);
    const describe = (v: Variant | undefined) =>
      v
        ? `${v.label}: ${v.tries.map((t) => (t.latencyMs === null ? "never" : `${t.latencyMs} ms`)).join(", ")}` +
          (v.tries.some((t) => !isValid(t))
            ? ` (${v.tries.filter((t) => !isValid(t)).length} tries invalid: /me before logout or the logout failed)`
            : "")
        : "variant missing";
    const allValid = (v: Variant | undefined): v is Variant => !!v && v.tries.length > 0 && v.tries.every(isValid);
    const immediate = [byKey("store"), byKey("denylist")];
    const cache = byKey("cache");
    const expiry = byKey("expiry");
    const within = (v: Variant) => v.tries.every((t) => t.latencyMs !== null && t.latencyMs <= v.boundMs + SLACK_MS);
    const invariants: Invariant[] = [
      {
        name: "revocation latency is 0 with a denylist",
        holds: immediate.every(
          (v) => allValid(v) && v.tries.every((t) => t.latencyMs !== null && t.latencyMs < IMMEDIATE_MS),
        ),
        detail: immediate.map(describe).join("; "),
      },
      {
        name: "SESSION_CACHE=3 revokes after a delay of at most the snapshot's life",
        holds: allValid(cache) && within(cache) && cache.tries.some((t) => (t.latencyMs ?? 0) > 0),
        detail: `${describe(cache)}; bound ${cache?.boundMs ?? "?"} ms + ${SLACK_MS} ms slack`,
      },
      {
        name: "REVOCATION=none revokes only when the access token expires",
        holds: allValid(expiry) && within(expiry) && expiry.tries.every((t) => (t.latencyMs ?? 0) > 0),
        detail: `${describe(expiry)}; bound ${expiry?.boundMs ?? "?"} ms + ${SLACK_MS} ms slack`,
      },
    ];
    return invariants;
  },
});
