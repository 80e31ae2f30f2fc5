import { writeClockOffset } from "@statelab/faults";
import type { StackName } from "../../compare/results.js";
import { defineScenario } from "../../compare/scenario.js";
import type { AppName, Instance } from "../../stack/stack.js";
import type { LabUser } from "../../stack/users.js";
import { type RelayedStack, relayedTargets } from "./relayed.js";

/** One credential minted on one instance and checked on another, both named by their clock. */
export interface SkewCheck {
  /** The skewed instance's offset in this phase, seconds (0 after the heal). */
  offsetSeconds: number;
  mintedOn: "skewed" | "correct";
  checkedOn: "skewed" | "correct";
  status: number;
  code: string | null;
  /** auth.expiresAt as the checking instance reported it, minus the real time, seconds; null if none. */
  expiresInSeconds: number | null;
}

export interface SkewVariant {
  label: string;
  stack: StackName;
  skewed: string;
  correct: string;
  /** What each instance's Date header said, minus the real time, per phase (seconds). */
  measuredOffsets: Array<{ offsetSeconds: number; skewed: number | null; correct: number | null }>;
  checks: SkewCheck[];
  /** A credential minted ahead of time, checked on the correct instance after the heal. */
  aheadAfterHeal: number;
}

export interface ClockSkewObservations {
  offsets: number[];
  /** libfaketime re-reads the offset file every second or two; each phase waits (up to this long) until the instance's Date header shows the offset. */
  settleMs: number;
  variants: SkewVariant[];
}

const variants: Array<{ label: string; stack: StackName & AppName }> = [
  { label: "stateful", stack: "stateful" },
  { label: "stateless", stack: "stateless" },
];

async function clockOffset(instance: Instance): Promise<number | null> {
  const res = await fetch(`${instance.url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
  const date = res?.headers.get("date");
  return date ? Math.round((Date.parse(date) - Date.now()) / 1000) : null;
}

async function check(
  user: LabUser,
  on: Instance,
): Promise<Omit<SkewCheck, "offsetSeconds" | "mintedOn" | "checkedOn">> {
  const reply = await user
    .clone()
    .call(on.url, "GET", "/me")
    .catch(() => ({ status: 0, code: "no_answer", body: null }));
  const auth = reply.body?.auth as { expiresAt?: unknown } | undefined;
  const expiresAt = typeof auth?.expiresAt === "string" ? Date.parse(auth.expiresAt) : null;
  return {
    status: reply.status,
    code: reply.code,
    expiresInSeconds:
      expiresAt === null || Number.isNaN(expiresAt) ? null : Math.round((expiresAt - Date.now()) / 1000),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the instance's clock until it is within 5 s of `expected` or `withinMs` passed; the last reading. */
async function waitForOffset(instance: Instance, expected: number, withinMs: number): Promise<number | null> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const offset = await clockOffset(instance);
    if ((offset !== null && Math.abs(offset - expected) <= 5) || Date.now() > deadline) return offset;
    await sleep(250);
  }
}

/** Logs each user in on one instance and checks the credential on both. */
async function phase(r: RelayedStack, users: LabUser[], offsetSeconds: number): Promise<SkewCheck[]> {
  const correct = r.stack.instances[0] as Instance;
  const on = { skewed: r.skewed, correct };
  const checks: SkewCheck[] = [];
  for (const [k, mintedOn] of (["skewed", "correct"] as const).entries()) {
    const user = users[k] as LabUser;
    await user.login(on[mintedOn].url);
    for (const checkedOn of ["skewed", "correct"] as const) {
      checks.push({ offsetSeconds, mintedOn, checkedOn, ...(await check(user, on[checkedOn])) });
    }
  }
  return checks;
}

const isCross = (c: SkewCheck) => c.mintedOn !== c.checkedOn && c.offsetSeconds !== 0;

/**
 * Scenario: one instance's wall clock moves 2 minutes ahead, then 2 minutes back
 * (libfaketime preloaded into that process alone; timers stay real). A JWT carries
 * its times (iat, exp) and every instance judges them by its own clock, within a
 * 5 s tolerance; a session's lifetime lives in Redis TTLs, which Redis keeps.
 */
export const clockSkew = defineScenario({
  id: "clock-skew",
  title: "Clock skew: one instance ±2 min",
  question: "When one instance's clock is 2 minutes off, which credentials does each stack still accept?",
  timing: {
    quick: { estimateSeconds: 10 },
    full: { estimateSeconds: 12 },
  },
  async run(ctx, _timing): Promise<ClockSkewObservations> {
    const offsets = [120, -120];
    const settleMs = 8_000;
    const { relayed, users } = await relayedTargets(ctx, variants, 2 * offsets.length + 1);
    const results = relayed.map(() => ({ checks: [] as SkewCheck[], measured: [] as SkewVariant["measuredOffsets"] }));
    const measure = async (offsetSeconds: number) => {
      await Promise.all(
        relayed.map(async (r, i) => {
          const skewed = await waitForOffset(r.skewed, offsetSeconds, settleMs);
          const correct = await clockOffset(r.stack.instances[0] as Instance);
          results[i]?.measured.push({ offsetSeconds, skewed, correct });
        }),
      );
    };
    // One fault for both phases: whatever happens, both clocks are back at 0 within 30 s.
    const fault = await ctx.fault({
      name: "clock skew on the last instance",
      durationMs: 30_000,
      start: () => {},
      end: () => {
        for (const r of relayed) writeClockOffset(r.clockFile, 0);
      },
    });
    for (const [p, offsetSeconds] of offsets.entries()) {
      for (const r of relayed) writeClockOffset(r.clockFile, offsetSeconds);
      ctx.log(`clock-skew: the last instance ${offsetSeconds > 0 ? "+" : ""}${offsetSeconds} s`);
      await measure(offsetSeconds);
      await Promise.all(
        relayed.map(async (r, i) => {
          const checks = await phase(r, (users[i] ?? []).slice(2 * p, 2 * p + 2), offsetSeconds);
          results[i]?.checks.push(...checks);
        }),
      );
    }
    await fault.end();
    await measure(0);
    const aheadAfterHeal = await Promise.all(
      relayed.map(
        async (r, i) => (await check((users[i] ?? [])[0] as LabUser, r.stack.instances[0] as Instance)).status,
      ),
    );
    // And a credential minted on the healed instance works everywhere again.
    await Promise.all(
      relayed.map(async (r, i) => {
        const user = (users[i] ?? [])[2 * offsets.length] as LabUser;
        await user.login(r.skewed.url);
        const healed = await check(user, r.stack.instances[0] as Instance);
        results[i]?.checks.push({ offsetSeconds: 0, mintedOn: "skewed", checkedOn: "correct", ...healed });
      }),
    );
    return {
      offsets,
      settleMs,
      variants: variants.map((v, i) => ({
        label: v.label,
        stack: v.stack,
        skewed: relayed[i]?.skewed.id ?? "",
        correct: relayed[i]?.stack.instances[0]?.id ?? "",
        measuredOffsets: results[i]?.measured ?? [],
        checks: results[i]?.checks ?? [],
        aheadAfterHeal: aheadAfterHeal[i] ?? 0,
      })),
    };
  },
  measure(o: ClockSkewObservations) {
    const sign = (n: number) => `${n > 0 ? "+" : ""}${n} s`;
    const rejectedCross = (v: SkewVariant) => v.checks.filter((c) => isCross(c) && c.status !== 200);
    const healed = (v: SkewVariant) => v.checks.find((c) => c.offsetSeconds === 0);
    return {
      tables: [
        {
          caption:
            "Each credential minted on one instance and checked (GET /me) on both; the skewed instance's clock as set and as its Date header said",
          columns: ["variant", "skew set", "skew measured", "minted on", "checked on", "status", "expires in (real s)"],
          rows: o.variants.flatMap((v) =>
            v.checks.map((c) => {
              const measured = v.measuredOffsets.find((m) => m.offsetSeconds === c.offsetSeconds);
              return [
                v.label,
                sign(c.offsetSeconds),
                measured?.skewed === null || measured === undefined ? "?" : sign(measured.skewed),
                c.mintedOn === "skewed" ? v.skewed : v.correct,
                c.checkedOn === "skewed" ? v.skewed : v.correct,
                `${c.status} ${c.code ?? ""}`.trim(),
                c.expiresInSeconds,
              ];
            }),
          ),
        },
      ],
      charts: [],
      reading: [
        ...o.variants.map((v) => {
          const rejected = rejectedCross(v);
          return rejected.length === 0
            ? `${v.label}: every credential crossing the ±2 min skew was accepted (${v.checks.filter(isCross).length} checks): the lifetime is kept by Redis (TTL), not judged by the instance's clock.`
            : `${v.label}: ${rejected.length} of ${v.checks.filter(isCross).length} credentials crossing the skew were rejected (` +
                rejected
                  .map((c) =>
                    `minted ${c.mintedOn === "skewed" ? `${sign(c.offsetSeconds)} ahead` : "on time"} and checked on the ${c.checkedOn} clock → ${c.status} ${c.code ?? ""}`.trim(),
                  )
                  .join("; ") +
                `). A token's iat and exp are judged by the checking instance's clock with a 5 s tolerance, far below 2 min.`;
        }),
        ...o.variants.flatMap((v) => {
          const shifts = o.offsets.flatMap((offset) => {
            const on = (checkedOn: SkewCheck["checkedOn"]) =>
              v.checks.find((c) => c.offsetSeconds === offset && c.mintedOn === "correct" && c.checkedOn === checkedOn);
            const skewed = on("skewed")?.expiresInSeconds;
            const correct = on("correct")?.expiresInSeconds;
            return typeof skewed === "number" && typeof correct === "number"
              ? [`${sign(skewed - correct)} at ${sign(offset)}`]
              : [];
          });
          return shifts.length === 0
            ? []
            : [
                `${v.label}: the expiry an instance reports moves with its own clock (${shifts.join(", ")} against the correct instance, same credential); ` +
                  `${v.stack === "stateful" ? "the session's real idle timeout is Redis's TTL, which did not move." : "the token's exp itself is fixed by the instance that minted it."}`,
              ];
        }),
        ...o.variants.map(
          (v) =>
            `${v.label}: after the clock was fixed, a credential minted on ${v.skewed} got ${healed(v)?.status ?? "?"} on ${v.correct}; one minted while it ran 2 min ahead got ${v.aheadAfterHeal} there.`,
        ),
      ],
      outcomes: Object.fromEntries(
        o.variants.map((v) => [
          v.label,
          {
            ok: v.checks.filter((c) => c.status === 200).length,
            fail: v.checks.filter((c) => c.status !== 200 && c.status !== 0).length,
            unknown: v.checks.filter((c) => c.status === 0).length,
          },
        ]),
      ),
      faultCells: o.variants.map((v) => ({
        fault: "clock-skew" as const,
        stack: v.stack,
        errors: `${rejectedCross(v).length} of ${v.checks.filter(isCross).length} cross-clock checks rejected`,
        recovery: `a fresh credential ${healed(v)?.status === 200 ? "works" : `gets ${healed(v)?.status}`} once the clock is fixed`,
        lost:
          v.aheadAfterHeal === 200
            ? "nothing: credentials minted ahead still work"
            : `credentials minted ahead rejected (${v.aheadAfterHeal}) until their iat passes: re-login`,
      })),
    };
  },
  invariants(o: ClockSkewObservations) {
    return o.variants.flatMap((v) => {
      const cross = v.checks.filter(isCross);
      const same = v.checks.filter((c) => c.mintedOn === c.checkedOn);
      const skewIn = v.measuredOffsets.every(
        (m) =>
          m.skewed !== null &&
          m.correct !== null &&
          Math.abs(m.skewed - m.offsetSeconds) <= 5 &&
          Math.abs(m.correct) <= 5,
      );
      const claims = [
        {
          name: `the skew was in force on one instance only: ${v.label}`,
          holds: skewIn && v.measuredOffsets.length === o.offsets.length + 1,
          detail: v.measuredOffsets.map((m) => `set ${m.offsetSeconds}: ${m.skewed} / ${m.correct}`).join(", "),
        },
        {
          name: `a credential is accepted by the instance that minted it: ${v.label}`,
          holds: same.length > 0 && same.every((c) => c.status === 200),
          detail: same.map((c) => `${c.offsetSeconds}:${c.status}`).join(", "),
        },
      ];
      return v.stack === "stateful"
        ? [
            ...claims,
            {
              name: "sessions ignore a ±2 min clock: every cross-instance check 200 (Redis keeps the TTL)",
              holds: cross.length > 0 && cross.every((c) => c.status === 200),
              detail: cross.map((c) => `${c.offsetSeconds} ${c.mintedOn}→${c.checkedOn}: ${c.status}`).join(", "),
            },
          ]
        : [
            ...claims,
            {
              name: "tokens crossing a skew beyond the 5 s tolerance are rejected with 401, never 500",
              holds: cross.some((c) => c.status === 401) && cross.every((c) => c.status === 200 || c.status === 401),
              detail: cross.map((c) => `${c.offsetSeconds} ${c.mintedOn}→${c.checkedOn}: ${c.status}`).join(", "),
            },
          ];
    });
  },
});
