import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { authKindOf, defineScenario, type ScenarioContext } from "../../compare/scenario.js";
import { round } from "../../format.js";
import type { Stack, StackSpec } from "../../stack/stack.js";
import { LabUser, mapLimit } from "../../stack/users.js";
import { median, percentile } from "../../stats.js";
import {
  type MeCost,
  measureRevocation,
  type RevocationObservations,
  revocationInvariants,
  type Try,
  type Variant,
  type VariantKey,
} from "./revocation-report.js";

const POLL_MS = 100;
const GIVE_UP_EXTRA_MS = 3000;
const WARM_UP = 5;

interface Plan {
  key: VariantKey;
  label: string;
  mechanism: string;
  boundMs: number;
  spec: StackSpec;
}

function plans(accessTtl: number): Plan[] {
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

/**
 * Scenario: how long a logged-out credential keeps working on another instance,
 * across the spectrum from a session read on every request to a JWT checked by
 * nobody, with what each costs per request beside it.
 */
export const revocation = defineScenario({
  id: "revocation",
  title: "Revocation: from logout to the first 401 on another instance",
  question: "After a logout on instance 1, how long does a copy of the credentials keep working on instance 2?",
  timing: {
    quick: { estimateSeconds: 20, tries: 3, costRequests: 60, accessTtl: 5 },
    full: { estimateSeconds: 45, tries: 10, costRequests: 300, accessTtl: 10 },
  },
  async run(ctx, { tries, costRequests, accessTtl }): Promise<RevocationObservations> {
    const all = plans(accessTtl);
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
  measure: measureRevocation,
  invariants: revocationInvariants,
});
