import type { BarChart, LatencySummary } from "../../compare/results.js";
import { defineScenario, type StackSpec } from "../../compare/scenario.js";
import { formatDuration, pct } from "../../format.js";
import type { Instance, Stack } from "../../stack/stack.js";
import type { LabUser, Reply } from "../../stack/users.js";
import { faultCell, recoveryAfterHeal } from "./cells.js";
import { busiestInstance, type EventTiming, prepareTargets, type ReloginCounts, runFaultLoad } from "./load.js";
import { describeErrors, eventAt, type FaultSummary, marker, summarizeFault, timelineCharts } from "./summary.js";

/** A user logged out elsewhere while their instance was frozen, checked again after it resumed. */
export interface LogoutProbe {
  /** Statuses of the user's requests that were waiting in the paused instance (0: no answer). */
  inFlight: number[];
  /** Where the logout went (another instance, directly), and its status (204 expected). */
  logoutVia: string;
  logoutStatus: number;
  /** GET /me with the logged-out credentials after the resume: on the resumed instance, and on another. */
  meOnResumed: number;
  meElsewhere: number;
}

export interface PauseVariant {
  label: string;
  users: number;
  /** The instance paused: the one most users were last answered by. */
  victim: string;
  usersOnVictim: number;
  summary: FaultSummary;
  relogin: ReloginCounts;
  probe: LogoutProbe | null;
}

export interface PauseObservations {
  rate: number;
  durationMs: number;
  pause: EventTiming;
  resume: EventTiming;
  /**
   * Errors must stop this long after the SIGSTOP: the first request to the frozen
   * instance times out at the proxy's 2 s upstream timeout and ejects it (health checks
   * often eject it sooner: 2 failed 500 ms checks, a round every ~1 s), plus 1 s margin.
   */
  errorBoundMs: number;
  variants: PauseVariant[];
}

const variants: Array<{ label: string; spec: StackSpec }> = [
  { label: "stateful", spec: { app: "stateful", label: "stateful", fresh: true } },
  { label: "stateless", spec: { app: "stateless", label: "stateless", fresh: true } },
];

const errors = (v: PauseVariant) => v.summary.counts.fail + v.summary.counts.unknown;
const total = (v: PauseVariant) => v.summary.counts.ok + errors(v);
const pausedMs = (o: PauseObservations) => o.resume.startedMs - o.pause.startedMs;

/** The probe's steps that span the pause: requests parked in the frozen process, then the logout elsewhere. */
interface ProbeRun {
  victim: Instance;
  other: Instance;
  inFlight: Array<Promise<number>>;
  logoutStatus: number;
}

const statusOf = (reply: Promise<Reply>) =>
  reply.then(
    (r) => r.status,
    () => 0,
  );

/** Requests parked in the process, SIGSTOP, then a logout through another instance directly. */
async function pauseWithProbe(stack: Stack, victimId: string, user: LabUser): Promise<ProbeRun> {
  const victim = stack.instance(victimId);
  const other = stack.instances.find((instance) => instance.id !== victimId) ?? victim;
  // Sent just before the stop, so some may be inside the process (session loaded, save pending).
  const inFlight = [0, 1, 2].map(() => statusOf(user.clone().call(victim.url, "GET", "/me")));
  await new Promise((resolve) => setTimeout(resolve, 5));
  victim.child.pause();
  const logoutStatus = await statusOf(user.clone().call(other.url, "POST", "/auth/logout"));
  return { victim, other, inFlight, logoutStatus };
}

/** SIGCONT, let the parked requests finish, then ask both instances about the logged-out credentials. */
async function resumeAndCheck(run: ProbeRun, user: LabUser): Promise<LogoutProbe> {
  run.victim.child.resume();
  const inFlight = await Promise.all(run.inFlight);
  // A resurrected session would be written by now: the parked requests have answered.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const meOnResumed = await statusOf(user.clone().call(run.victim.url, "GET", "/me"));
  const meElsewhere = await statusOf(user.clone().call(run.other.url, "GET", "/me"));
  return { inFlight, logoutVia: run.other.id, logoutStatus: run.logoutStatus, meOnResumed, meElsewhere };
}

function latencyBars(o: PauseObservations): BarChart {
  const windows: Array<[string, (s: FaultSummary) => LatencySummary]> = [
    ["before", (s) => s.before.latency],
    ["during", (s) => s.during.latency],
    ["after", (s) => s.after.latency],
  ];
  const cells = o.variants.flatMap((v) =>
    windows.map(([name, pick]) => ({ name: `${v.label} ${name}`, l: pick(v.summary) })),
  );
  const keys = ["p50", "p90", "p99", "max"] as const;
  return {
    kind: "bar",
    title: "GET /me latency before, during and after the pause (ms, from the intended send time)",
    yLabel: "ms",
    categories: cells.map((c) => c.name),
    series: keys.map((key) => ({ label: key, values: cells.map((c) => c.l[key]) })),
    stacked: false,
  };
}

/**
 * Scenario: SIGSTOP one instance under load, SIGCONT it later. A frozen process
 * accepts connections and answers nothing: its requests wait for the proxy's
 * upstream timeout (504) until health checks eject it. And when it wakes up,
 * it must not undo a logout that happened elsewhere meanwhile.
 */
export const pause = defineScenario<PauseObservations>({
  id: "pause",
  title: "Pause: SIGSTOP one instance under load",
  question: "What does a frozen instance cost in latency and errors, and can it undo a logout when it wakes up?",
  estimateSeconds: (quick) => (quick ? 27 : 50),
  async run(ctx) {
    const rate = ctx.quick ? 60 : 100;
    const durationMs = ctx.quick ? 9_000 : 20_000;
    const pauseAtMs = ctx.quick ? 2_000 : 5_000;
    // At least 1 s longer than the error bound, so a clean stretch of the pause is seen.
    const resumeAtMs = pauseAtMs + (ctx.quick ? 4_000 : 5_000);
    const usersPerStack = ctx.quick ? 15 : 30;
    const setupStarted = Date.now();
    // One more user per stack: the probe, kept out of the load so its logout touches nobody else.
    const loadTargets = await prepareTargets(ctx, variants, usersPerStack + 1);
    ctx.log(
      `pause: ${loadTargets.length} fresh stacks and their users ready in ${formatDuration(Date.now() - setupStarted)}`,
    );
    const probes = loadTargets.map((target) => target.users.pop() as LabUser);
    const paused = new Map<string, { victim: string; usersOnVictim: number; run: ProbeRun }>();
    const checked = new Map<string, LogoutProbe>();
    ctx.log(
      `pause: ${rate} GET /me/s per stack for ${formatDuration(durationMs)}, SIGSTOP ${formatDuration(pauseAtMs)}–${formatDuration(resumeAtMs)}`,
    );
    const run = await runFaultLoad({
      rate,
      durationMs,
      // Longer than the proxy's 2 s upstream timeout, so its 504s are seen rather than the client's own timeout.
      timeoutMs: 4000,
      targets: loadTargets,
      progress: ctx.progress,
      events: [
        {
          atMs: pauseAtMs,
          label: "SIGSTOP",
          run: async (targets) => {
            await Promise.all(
              targets.map(async (target, i) => {
                const victim = busiestInstance(target);
                const usersOnVictim = target.usersByInstance()[victim] ?? 0;
                const probeRun = await pauseWithProbe(target.stack, victim, probes[i] as LabUser);
                paused.set(target.label, { victim, usersOnVictim, run: probeRun });
              }),
            );
          },
        },
        {
          atMs: resumeAtMs,
          label: "SIGCONT",
          run: async (targets) => {
            await Promise.all(
              targets.map(async (target, i) => {
                const state = paused.get(target.label);
                if (state) checked.set(target.label, await resumeAndCheck(state.run, probes[i] as LabUser));
              }),
            );
          },
        },
      ],
    });
    const pauseAt = eventAt(run, "SIGSTOP", pauseAtMs);
    const resumeAt = eventAt(run, "SIGCONT", resumeAtMs);
    return {
      rate,
      durationMs,
      pause: pauseAt,
      resume: resumeAt,
      errorBoundMs: 3000,
      variants: variants.map((v, i) => ({
        label: v.label,
        users: loadTargets[i]?.users.length ?? 0,
        victim: paused.get(v.label)?.victim ?? "",
        usersOnVictim: paused.get(v.label)?.usersOnVictim ?? 0,
        summary: summarizeFault(run.targets[i]?.ops ?? [], { faultMs: pauseAt.startedMs, healMs: resumeAt.startedMs }),
        relogin: run.targets[i]?.relogin ?? { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
        probe: checked.get(v.label) ?? null,
      })),
    };
  },
  measure(o) {
    const paused = pausedMs(o);
    const reading: string[] = [];
    for (const v of o.variants) {
      const d = v.summary.during;
      const last = v.summary.lastErrorDuringFaultMs;
      reading.push(
        errors(v) === 0
          ? `${v.label}: no request failed while ${v.victim} was frozen for ${formatDuration(paused)}; p99 during the pause was ${formatDuration(d.latency.p99)}, max ${formatDuration(d.latency.max)}.`
          : `${v.label}: freezing ${v.victim} (last served ${v.usersOnVictim} of ${v.users} users) cost ${errors(v)} of ${total(v)} requests ` +
              `(${describeErrors(v.summary.errors)}); p99 during the pause ${formatDuration(d.latency.p99)}, max ${formatDuration(d.latency.max)}` +
              (last === null
                ? ", all of the errors outside the pause."
                : `; the last error was scheduled ${formatDuration(last)} after the SIGSTOP` +
                  (last <= o.errorBoundMs
                    ? `, so the last ${formatDuration(paused - last)} of the pause were error-free (the proxy had ejected it).`
                    : `, beyond the ${formatDuration(o.errorBoundMs)} bound: the proxy was slow to eject it.`)),
      );
    }
    const probes = o.variants.filter((v) => v.probe !== null);
    const resurrected = probes.filter((v) => v.probe?.meOnResumed !== 401 || v.probe.meElsewhere !== 401);
    if (probes.length > 0) {
      reading.push(
        resurrected.length === 0
          ? `A user logged out through another instance during the pause stayed logged out after the resume on every stack (GET /me → 401 on the resumed instance and elsewhere).`
          : `After the resume, the logged-out user was served again on ${resurrected.map((v) => `${v.label} (resumed ${v.probe?.meOnResumed}, elsewhere ${v.probe?.meElsewhere})`).join(", ")}: the logout was undone.`,
      );
    }
    const servedLate = probes.filter((v) => v.probe?.inFlight.includes(200));
    if (servedLate.length > 0) {
      reading.push(
        `Requests parked in the frozen process before the logout could still be answered 200 after it ` +
          `(${servedLate.map((v) => `${v.label}: ${v.probe?.inFlight.filter((s) => s === 200).length} of ${v.probe?.inFlight.length}`).join(", ")}): ` +
          `they had read the session before the freeze. ${resurrected.length === 0 ? "None of them wrote it back." : ""}`.trim(),
      );
    }
    return {
      tables: [
        {
          caption:
            `SIGSTOP at ${formatDuration(o.pause.startedMs)}, SIGCONT at ${formatDuration(o.resume.startedMs)}; ` +
            `${o.rate} GET /me per second per stack for ${formatDuration(o.durationMs)}; proxy upstream timeout 2 s, health checks 500 ms, fall 2`,
          columns: [
            "variant",
            "paused",
            "users on it",
            "requests",
            "errors",
            "p99 before",
            "p99 during",
            "max during",
            "p99 after",
            "errors until (after SIGSTOP)",
          ],
          rows: o.variants.map((v) => [
            v.label,
            v.victim,
            `${v.usersOnVictim} of ${v.users}`,
            total(v),
            `${errors(v)} (${pct(errors(v), total(v))})`,
            formatDuration(v.summary.before.latency.p99),
            formatDuration(v.summary.during.latency.p99),
            formatDuration(v.summary.during.latency.max),
            formatDuration(v.summary.after.latency.p99),
            v.summary.lastErrorDuringFaultMs === null ? "no errors" : formatDuration(v.summary.lastErrorDuringFaultMs),
          ]),
        },
        {
          caption: "Errors by status and code, and a logout done elsewhere during the pause",
          columns: [
            "variant",
            "errors",
            "parked requests answered",
            "logout via",
            "logout",
            "/me on resumed",
            "/me elsewhere",
          ],
          rows: o.variants.map((v) => [
            v.label,
            describeErrors(v.summary.errors),
            v.probe ? v.probe.inFlight.join(", ") : "n/a",
            v.probe?.logoutVia ?? "n/a",
            v.probe?.logoutStatus ?? null,
            v.probe?.meOnResumed ?? null,
            v.probe?.meElsewhere ?? null,
          ]),
        },
      ],
      charts: [
        latencyBars(o),
        ...timelineCharts(
          o.variants.map((v) => ({ label: v.label, summary: v.summary })),
          [marker(o.pause), marker(o.resume)],
        ),
      ],
      reading,
      outcomes: Object.fromEntries(o.variants.map((v) => [v.label, v.summary.counts])),
      faultCells: o.variants.map((v) =>
        faultCell(
          "pause",
          v.label === "stateless" ? "stateless" : "stateful",
          v,
          `errors until ${v.summary.lastErrorDuringFaultMs === null ? "none" : formatDuration(v.summary.lastErrorDuringFaultMs)} after the SIGSTOP (ejected); ${recoveryAfterHeal(v.summary, "the SIGCONT")}`,
        ),
      ),
    };
  },
  invariants(o) {
    const paused = pausedMs(o);
    return o.variants.flatMap((v) => {
      const last = v.summary.lastErrorDuringFaultMs;
      const probe = v.probe;
      return [
        {
          name: `a logout done elsewhere stays done after resume: ${v.label}`,
          holds: probe !== null && probe.logoutStatus === 204 && probe.meOnResumed === 401 && probe.meElsewhere === 401,
          detail:
            probe === null
              ? "the probe did not run"
              : `logout via ${probe.logoutVia} → ${probe.logoutStatus}; after resume /me on ${v.victim} → ${probe.meOnResumed}, elsewhere → ${probe.meElsewhere}`,
        },
        {
          name: `errors stop within ${formatDuration(o.errorBoundMs)} of the SIGSTOP (ejected; the rest of the pause is clean): ${v.label}`,
          // The pause must outlast the bound (by ≥ 0.5 s), or there is no clean stretch to look at.
          holds:
            paused >= o.errorBoundMs + 500 &&
            v.summary.during.counts.ok > 0 &&
            (last === null || last <= o.errorBoundMs),
          detail:
            last === null
              ? `no error during the ${formatDuration(paused)} pause`
              : `last error ${formatDuration(last)} after the SIGSTOP; the pause lasted ${formatDuration(paused)}`,
        },
      ];
    });
  },
});
