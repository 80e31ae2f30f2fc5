import { randomBytes } from "node:crypto";
import type { BarChart, Invariant, OutcomeCounts } from "../../compare/results.js";
import { defineScenario } from "../../compare/scenario.js";
import { pct } from "../../format.js";
import type { Stack, StackSpec } from "../../stack/stack.js";
import { LabUser, mapLimit, type Reply } from "../../stack/users.js";

type VariantKey = "strict" | "grace";

/** One user's race: what each tab's refresh got, and whether the user was still logged in after. */
interface UserRace {
  /** Per tab, in tab order: "200", "401 refresh_reused", … or "no answer". */
  race: string[];
  /** The follow-up refresh of each tab that got 200, with the token it got. */
  followUps: string[];
  /** No follow-up succeeded: the family (the device) was revoked. */
  loggedOut: boolean;
}

interface Variant {
  key: VariantKey;
  label: string;
  graceSeconds: number;
  users: UserRace[];
}

export interface RefreshRaceObservations {
  tabs: number;
  instances: number;
  variants: Variant[];
}

const PASSWORD = "lab-password-1";
const OK = "200";
const REUSED = "401 refresh_reused";

const plans: Array<{ key: VariantKey; label: string; graceSeconds: number; spec: StackSpec }> = [
  {
    key: "strict",
    label: "REFRESH_GRACE=0 (default)",
    graceSeconds: 0,
    spec: { app: "stateless", label: "stateless" },
  },
  {
    key: "grace",
    label: "REFRESH_GRACE=5",
    graceSeconds: 5,
    spec: { app: "stateless", label: "sl-grace", env: { REFRESH_GRACE: "5" } },
  },
];

const codeOf = (reply: Reply | null): string =>
  reply === null ? "no answer" : reply.status === 200 ? OK : `${reply.status} ${reply.code ?? ""}`.trim();

async function safeRefresh(tab: LabUser, url: string): Promise<Reply | null> {
  try {
    return await tab.refresh(url);
  } catch {
    return null;
  }
}

/** T tabs holding one refresh token refresh at once, each on another instance; then each winner refreshes again. */
async function race(stack: Stack, user: LabUser, tabs: number): Promise<UserRace> {
  const urlOf = (t: number) => (stack.instances[t % stack.instances.length] as Stack["instances"][number]).url;
  const all = [user, ...Array.from({ length: tabs - 1 }, () => user.clone())];
  const replies = await Promise.all(all.map((tab, t) => safeRefresh(tab, urlOf(t))));
  const winners = all.filter((_, t) => replies[t]?.status === 200);
  const followUps = await Promise.all(winners.map((tab, w) => safeRefresh(tab, urlOf(w + 1))));
  return {
    race: replies.map(codeOf),
    followUps: followUps.map(codeOf),
    loggedOut: !followUps.some((reply) => reply?.status === 200),
  };
}

/** Responses by code over every user's race (follow-ups apart). */
export function raceCodes(variant: Variant): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const user of variant.users) for (const code of user.race) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

function followUpCodes(variant: Variant): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const user of variant.users) for (const code of user.followUps) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

const loggedOut = (v: Variant) => v.users.filter((u) => u.loggedOut).length;
const followUpsOk = (v: Variant) => v.users.reduce((n, u) => n + u.followUps.filter((c) => c === OK).length, 0);
const followUpsAll = (v: Variant) => v.users.reduce((n, u) => n + u.followUps.length, 0);
const describeCodes = (codes: Record<string, number>) =>
  Object.entries(codes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${n} × ${code}`)
    .join(", ");

function outcomes(v: Variant): OutcomeCounts {
  const counts: OutcomeCounts = { ok: 0, fail: 0, unknown: 0 };
  for (const code of v.users.flatMap((u) => [...u.race, ...u.followUps])) {
    if (code === OK) counts.ok++;
    else if (code === "no answer") counts.unknown++;
    else counts.fail++;
  }
  return counts;
}

/**
 * Scenario: several tabs of one browser refresh the same rotating refresh token
 * at once. Strict reuse detection takes the loser for a thief and logs the
 * device out; a grace window lets racers through — and thieves inside it.
 */
export const refreshRace = defineScenario({
  id: "refresh-race",
  title: "Refresh race: tabs that refresh at once, with and without a grace window",
  question:
    "When T tabs of one user refresh the same token at once on different instances, how many users end up logged out?",
  timing: {
    quick: { estimateSeconds: 15, userCount: 10, tabs: 3 },
    full: { estimateSeconds: 30, userCount: 30, tabs: 4 },
  },
  async run(ctx, { userCount, tabs }): Promise<RefreshRaceObservations> {
    const stacks = await Promise.all(plans.map((plan) => ctx.stack(plan.spec)));
    // Both stacks share the user store: sign up once, log in on each stack (a family per stack).
    const run = randomBytes(3).toString("hex");
    const names = Array.from({ length: userCount }, (_, i) => `rr_${run}_${i}`);
    const first = stacks[0] as Stack;
    await mapLimit(names, 4, async (name) => {
      const reply = await new LabUser("bearer", name, PASSWORD).signup(first.url);
      if (reply.status !== 201) throw new Error(`signup of ${name} failed: ${reply.status} ${reply.code}`);
    });
    const variants: Variant[] = [];
    for (const [i, plan] of plans.entries()) {
      const stack = stacks[i] as Stack;
      const users = names.map((name) => new LabUser("bearer", name, PASSWORD));
      await mapLimit(users, 4, (user) => user.login(stack.url));
      const bar = ctx.progress(plan.label, users.length);
      let done = 0;
      const results = await mapLimit(users, 2, async (user) => {
        const result = await race(stack, user, tabs);
        bar.update(++done);
        return result;
      });
      bar.done();
      variants.push({ key: plan.key, label: plan.label, graceSeconds: plan.graceSeconds, users: results });
    }
    return { tabs, instances: first.instances.length, variants };
  },

  measure({ tabs, instances, variants }: RefreshRaceObservations) {
    const codes = variants.map(raceCodes);
    const allCodes = [...new Set(codes.flatMap((c) => Object.keys(c)))].sort();
    const usersChart: BarChart = {
      kind: "bar",
      title: `Users logged out after ${tabs} tabs refreshed at once`,
      yLabel: "users",
      categories: variants.map((v) => v.label),
      series: [
        { label: "logged out (family revoked)", values: variants.map(loggedOut) },
        { label: "still logged in", values: variants.map((v) => v.users.length - loggedOut(v)) },
      ],
      stacked: true,
    };
    const codesChart: BarChart = {
      kind: "bar",
      title: "Racing refreshes by answer",
      yLabel: "refreshes",
      categories: variants.map((v) => v.label),
      series: allCodes.map((code) => ({ label: code, values: codes.map((c) => c[code] ?? 0) })),
      stacked: true,
    };
    const reading: string[] = [];
    const strict = variants.find((v) => v.key === "strict");
    const grace = variants.find((v) => v.key === "grace");
    if (strict) {
      const out = loggedOut(strict);
      const c = raceCodes(strict);
      reading.push(
        `Without a grace window, ${out} of ${strict.users.length} users (${tabs} tabs each, on ${Math.min(tabs, instances)} instances) ` +
          (out > 0
            ? `were logged out by a false theft detection: of ${strict.users.length * tabs} racing refreshes ` +
              `${c[OK] ?? 0} got 200 and ${c[REUSED] ?? 0} got 401 refresh_reused, which revoked the family: ` +
              `${followUpsOk(strict)} of ${followUpsAll(strict)} winners' next refresh succeeded ` +
              `(${describeCodes(followUpCodes(strict))}).`
            : `were logged out (${describeCodes(c)}): no race was taken for theft this run.`),
      );
    }
    if (grace) {
      const out = loggedOut(grace);
      const c = raceCodes(grace);
      reading.push(
        `With REFRESH_GRACE=${grace.graceSeconds}, ${out} of ${grace.users.length} users were logged out: ` +
          `${c[OK] ?? 0} of ${grace.users.length * tabs} racing refreshes got 200 (each racer a token of its own in the same family) ` +
          `and ${followUpsOk(grace)} of ${followUpsAll(grace)} follow-up refreshes succeeded.`,
      );
      reading.push(
        `The price of the window: a stolen refresh token replayed within ${grace.graceSeconds} s of its first use is ` +
          "served like a racing tab, so that theft goes undetected" +
          (strict && strict.users.length > 0
            ? `; without the window, ${pct(loggedOut(strict), strict.users.length)} of these multi-tab users had to log in again.`
            : "."),
      );
    }
    return {
      tables: [
        {
          caption: `${tabs} tabs per user refresh one refresh token at once, tab t on instance t mod ${instances}; then every tab that got 200 refreshes again`,
          columns: [
            "variant",
            "users",
            "racing refreshes",
            ...allCodes,
            "follow-ups 200",
            "users logged out",
            "share logged out",
          ],
          rows: variants.map((v, i) => [
            v.label,
            v.users.length,
            v.users.length * tabs,
            ...allCodes.map((code) => codes[i]?.[code] ?? 0),
            `${followUpsOk(v)} of ${followUpsAll(v)}`,
            loggedOut(v),
            pct(loggedOut(v), v.users.length),
          ]),
        },
      ],
      charts: [usersChart, codesChart],
      reading,
      outcomes: Object.fromEntries(variants.map((v) => [v.label, outcomes(v)])),
    };
  },

  invariants({ variants }: RefreshRaceObservations) {
    const strict = variants.find((v) => v.key === "strict");
    const grace = variants.find((v) => v.key === "grace");
    const detail = (v: Variant | undefined) =>
      v
        ? `${loggedOut(v)} of ${v.users.length} users logged out; racing refreshes: ${describeCodes(raceCodes(v))}`
        : "variant missing";
    const invariants: Invariant[] = [
      {
        name: "without a grace window, racing tabs log users out",
        holds: !!strict && loggedOut(strict) > 0,
        detail: detail(strict),
      },
      {
        name: "without a grace window exactly one racing tab wins",
        holds:
          !!strict && strict.users.length > 0 && strict.users.every((u) => u.race.filter((c) => c === OK).length === 1),
        detail: strict
          ? `winners per race: ${strict.users.map((u) => u.race.filter((c) => c === OK).length).join(", ")}`
          : "variant missing",
      },
      {
        name: "with REFRESH_GRACE=5 no user is logged out",
        holds: !!grace && grace.users.length > 0 && loggedOut(grace) === 0,
        detail: detail(grace),
      },
    ];
    return invariants;
  },
});
