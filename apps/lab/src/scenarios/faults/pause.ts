import type { BarChart, LatencySummary } from "../../compare/results.js";
import { formatDuration, pct } from "../../format.js";
import type { Instance, Stack } from "../../stack/stack.js";
import type { LabUser, Reply } from "../../stack/users.js";
import { recoveryAfterHeal } from "./cells.js";
import { defineFaultScenario, type FaultObservations, type FaultTiming, ownStacks } from "./define.js";
import { busiestInstance } from "./load.js";
import { describeErrors, type FaultSummary } from "./summary.js";

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

interface PauseTiming extends FaultTiming {
  pauseAtMs: number;
  /** At least 1 s longer than the error bound after the pause, so a clean stretch of the pause is seen. */
  resumeAtMs: number;
}

/** What pause measures of a variant beyond the common summary. */
export interface PauseFigures {
  /** The instance paused: the one most users were last answered by. */
  victim: string;
  usersOnVictim: number;
  probe: LogoutProbe | null;
}

export type PauseObservations = FaultObservations<
  "pause" | "resume",
  PauseFigures,
  {
    /**
     * Errors must stop this long after the SIGSTOP: the first request to the frozen
     * instance times out at the proxy's 2 s upstream timeout and ejects it (health checks
     * often eject it sooner: 2 failed 500 ms checks, a round every ~1 s), plus 1 s margin.
     */
    errorBoundMs: number;
  }
>;
export type PauseVariant = PauseObservations["variants"][number];

const variants = [
  { label: "stateful", stack: "stateful", spec: { app: "stateful", label: "stateful", fresh: true } },
  { label: "stateless", stack: "stateless", spec: { app: "stateless", label: "stateless", fresh: true } },
] as const;

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

const resurrected = (o: PauseObservations) =>
  o.variants.filter((v) => v.probe !== null && (v.probe.meOnResumed !== 401 || v.probe.meElsewhere !== 401));

/** Sentences of the reading, each a function of the observations. */
export const pauseReading = {
  costs: (o: PauseObservations) =>
    o.variants.map((v) => {
      const paused = pausedMs(o);
      const d = v.summary.during;
      const last = v.summary.lastErrorDuringFaultMs;
      if (errors(v) === 0) {
        return `${v.label}: no request failed while ${v.victim} was frozen for ${formatDuration(paused)}; p99 during the pause was ${formatDuration(d.latency.p99)}, max ${formatDuration(d.latency.max)}.`;
      }
      const ejected =
        last === null
          ? ", all of the errors outside the pause."
          : `; the last error was scheduled ${formatDuration(last)} after the SIGSTOP` +
            (last <= o.errorBoundMs
              ? `, so the last ${formatDuration(paused - last)} of the pause were error-free (the proxy had ejected it).`
              : `, beyond the ${formatDuration(o.errorBoundMs)} bound: the proxy was slow to eject it.`);
      return (
        `${v.label}: freezing ${v.victim} (last served ${v.usersOnVictim} of ${v.users} users) cost ${errors(v)} of ${total(v)} requests ` +
        `(${describeErrors(v.summary.errors)}); p99 during the pause ${formatDuration(d.latency.p99)}, max ${formatDuration(d.latency.max)}${ejected}`
      );
    }),
  logout(o: PauseObservations) {
    if (!o.variants.some((v) => v.probe !== null)) return null;
    const undone = resurrected(o);
    return undone.length === 0
      ? `A user logged out through another instance during the pause stayed logged out after the resume on every stack (GET /me → 401 on the resumed instance and elsewhere).`
      : `After the resume, the logged-out user was served again on ${undone.map((v) => `${v.label} (resumed ${v.probe?.meOnResumed}, elsewhere ${v.probe?.meElsewhere})`).join(", ")}: the logout was undone.`;
  },
  parked(o: PauseObservations) {
    const servedLate = o.variants.filter((v) => v.probe?.inFlight.includes(200));
    if (servedLate.length === 0) return null;
    return (
      `Requests parked in the frozen process before the logout could still be answered 200 after it ` +
      `(${servedLate.map((v) => `${v.label}: ${v.probe?.inFlight.filter((s) => s === 200).length} of ${v.probe?.inFlight.length}`).join(", ")}): ` +
      `they had read the session before the freeze. ${resurrected(o).length === 0 ? "None of them wrote it back." : ""}`.trim()
    );
  },
};

/**
 * Scenario: SIGSTOP one instance under load, SIGCONT it later. A frozen process
 * accepts connections and answers nothing: its requests wait for the proxy's
 * upstream timeout (504) until health checks eject it. And when it wakes up,
 * it must not undo a logout that happened elsewhere meanwhile.
 */
export const pause = defineFaultScenario({
  id: "pause",
  title: "Pause: SIGSTOP one instance under load",
  question: "What does a frozen instance cost in latency and errors, and can it undo a logout when it wakes up?",
  fault: "pause",
  timing: {
    quick: { rate: 60, durationMs: 9_000, pauseAtMs: 2_000, resumeAtMs: 6_000, usersPerStack: 15, estimateSeconds: 27 },
    full: {
      rate: 100,
      durationMs: 20_000,
      pauseAtMs: 5_000,
      resumeAtMs: 10_000,
      usersPerStack: 30,
      estimateSeconds: 50,
    },
  } satisfies Record<"quick" | "full", PauseTiming>,
  // Longer than the proxy's 2 s upstream timeout, so its 504s are seen rather than the client's own timeout.
  timeoutMs: 4000,
  variants,
  // One more user per stack: the probe, kept out of the load so its logout touches nobody else.
  prepare: ownStacks({ spareUsers: 1 }),
  events: [
    { key: "pause", label: "SIGSTOP", at: (t: PauseTiming) => t.pauseAtMs },
    { key: "resume", label: "SIGCONT", at: (t: PauseTiming) => t.resumeAtMs },
  ],
  describe: (t) => `SIGSTOP ${formatDuration(t.pauseAtMs)}–${formatDuration(t.resumeAtMs)}`,
  start({ spare }) {
    const probes = spare.map((users) => users[0] as LabUser);
    const paused = new Map<string, { victim: string; usersOnVictim: number; run: ProbeRun }>();
    const checked = new Map<string, LogoutProbe>();
    return {
      actions: {
        pause: async (targets) => {
          await Promise.all(
            targets.map(async (target, i) => {
              const victim = busiestInstance(target);
              const usersOnVictim = target.usersByInstance()[victim] ?? 0;
              const probeRun = await pauseWithProbe(target.stack, victim, probes[i] as LabUser);
              paused.set(target.label, { victim, usersOnVictim, run: probeRun });
            }),
          );
        },
        resume: async (targets) => {
          await Promise.all(
            targets.map(async (target, i) => {
              const state = paused.get(target.label);
              if (state) checked.set(target.label, await resumeAndCheck(state.run, probes[i] as LabUser));
            }),
          );
        },
      },
      phases: (e) => ({ faultMs: e.pause.startedMs, healMs: e.resume.startedMs }),
      observe(i): PauseFigures {
        const label = variants[i]?.label ?? "";
        return {
          victim: paused.get(label)?.victim ?? "",
          usersOnVictim: paused.get(label)?.usersOnVictim ?? 0,
          probe: checked.get(label) ?? null,
        };
      },
      extras: () => ({ errorBoundMs: 3000 }),
    };
  },
  tables: (o) => [
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
  charts: (o) => [latencyBars(o)],
  reading: [pauseReading.costs, pauseReading.logout, pauseReading.parked],
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
  cell: (v) => ({
    recovery: `errors until ${v.summary.lastErrorDuringFaultMs === null ? "none" : formatDuration(v.summary.lastErrorDuringFaultMs)} after the SIGSTOP (ejected); ${recoveryAfterHeal(v.summary, "the SIGCONT")}`,
  }),
});
