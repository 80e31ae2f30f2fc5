import { performance } from "node:perf_hooks";
import type { ProgressBar, ScenarioContext } from "../../compare/scenario.js";
import { round } from "../../format.js";
import { type LoadResponse, type Op, runLoad } from "../../load/index.js";
import type { Stack, StackSpec } from "../../stack/stack.js";
import type { LabUser } from "../../stack/users.js";

/**
 * The pattern the fault scenarios (crash, pause, store-outage) share: open-loop
 * GET /me load on several stacks at once, spread over logged-in users, with
 * faults injected and healed at fixed times. The pure summaries of the ops are in
 * fault-summary.ts.
 */

/** One stack under load, and the users whose credentials its requests take turns with. */
export interface LoadTarget {
  /** The variant's name in the report. */
  label: string;
  stack: Stack;
  users: LabUser[];
}

/** What an event sees of a target while the load runs. */
export interface LiveTarget {
  readonly label: string;
  readonly stack: Stack;
  /** Users per instance that answered them last: where sticky users are pinned right now. */
  usersByInstance(): Record<string, number>;
}

/** A fault or a heal: started `atMs` after the load started; events run independently of each other. */
export interface FaultEvent {
  atMs: number;
  /** The marker's label on the charts. */
  label: string;
  /** `elapsedMs()` is the time since the load started, for anything the event wants to time itself. */
  run(targets: readonly LiveTarget[], elapsedMs: () => number): Promise<void>;
}

/** When an event actually ran, in ms since the load started. */
export interface EventTiming {
  label: string;
  plannedMs: number;
  startedMs: number;
  doneMs: number;
}

export interface FaultLoadOptions {
  /** Requests per second, per target. */
  rate: number;
  durationMs: number;
  /** Per request, from its intended send time; longer than the proxy's upstream timeout so its 504s show. */
  timeoutMs: number;
  targets: LoadTarget[];
  events: FaultEvent[];
  progress?(label: string, total: number): ProgressBar;
}

/** Users who were answered 401 and logged in again, as a person would. */
export interface ReloginCounts {
  /** Distinct users answered 401 at least once. */
  users: number;
  /** GET /me ops answered 401. */
  unauthorized: number;
  /** ms since the load started of the first 401, or null. */
  firstAtMs: number | null;
  succeeded: number;
  failed: number;
}

export interface TargetRun {
  label: string;
  /** Every op; `t` is ms since the common start (all loads start in the same tick). */
  ops: Op[];
  relogin: ReloginCounts;
}

export interface FaultLoadRun {
  targets: TargetRun[];
  events: EventTiming[];
  intervalMs: number;
}

/**
 * Starts every variant's stack, then logs `usersPerStack` fresh users in on each:
 * the targets of a fault load, in the order of `variants`.
 */
export async function prepareTargets(
  ctx: ScenarioContext,
  variants: ReadonlyArray<{ label: string; spec: StackSpec }>,
  usersPerStack: number,
): Promise<LoadTarget[]> {
  const stacks = await Promise.all(variants.map((v) => ctx.stack(v.spec)));
  const users = await Promise.all(stacks.map((stack) => ctx.users(stack, usersPerStack)));
  return variants.map((v, i) => ({ label: v.label, stack: stacks[i] as Stack, users: users[i] ?? [] }));
}

/** A user who keeps getting 401 stops trying after this many logins (a bound, not a model). */
const MAX_RELOGINS_PER_USER = 3;
/**
 * Logins hash with argon2 (19 MiB, t=2): a burst of them starves 2 cores, slow health
 * checks then eject healthy instances and the burst feeds itself. People do not all
 * log in at the same millisecond either; waiting users are simply not asked.
 */
const MAX_CONCURRENT_RELOGINS = 3;

/** One target's mutable state during the run: cookies, pinning, users logging in again. */
function trackTarget(target: LoadTarget, intervalMs: number) {
  const lastInstance = new Map<string, string>();
  const busy = new Set<LabUser>();
  const attempts = new Map<LabUser, number>();
  const lost = new Set<string>();
  const pending = new Set<Promise<void>>();
  const queue: LabUser[] = [];
  let running = 0;
  const relogin: ReloginCounts = { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 };
  let cursor = 0;
  let isRunning = true;

  const pump = () => {
    while (running < MAX_CONCURRENT_RELOGINS && queue.length > 0) {
      const user = queue.shift() as LabUser;
      running++;
      const done: Promise<void> = user.login(target.stack.url).then(
        () => void relogin.succeeded++,
        () => void relogin.failed++,
      );
      const tracked = done.finally(() => {
        running--;
        busy.delete(user);
        pending.delete(tracked);
        pump();
      });
      pending.add(tracked);
    }
  };

  const startRelogin = (user: LabUser) => {
    const tries = attempts.get(user) ?? 0;
    if (!isRunning || busy.has(user) || tries >= MAX_RELOGINS_PER_USER) return;
    attempts.set(user, tries + 1);
    busy.add(user);
    queue.push(user);
    pump();
  };

  const onAnswer = (user: LabUser, i: number, res: LoadResponse): undefined => {
    const setCookie = res.headers["set-cookie"];
    if (setCookie !== undefined) user.absorb(Array.isArray(setCookie) ? setCookie : [setCookie]);
    const instance = res.headers["x-instance-id"];
    if (typeof instance === "string") lastInstance.set(user.username, instance);
    if (res.status === 401) {
      relogin.unauthorized++;
      relogin.firstAtMs ??= i * intervalMs;
      if (!lost.has(user.username)) {
        lost.add(user.username);
        relogin.users++;
      }
      startRelogin(user);
    }
    return undefined;
  };

  return {
    live: {
      label: target.label,
      stack: target.stack,
      usersByInstance() {
        const counts: Record<string, number> = {};
        for (const id of lastInstance.values()) counts[id] = (counts[id] ?? 0) + 1;
        return counts;
      },
    } satisfies LiveTarget,
    relogin,
    /** The next user that is not logging in again (any user if all are). */
    request(i: number) {
      const { users } = target;
      let user = users[cursor % users.length] as LabUser;
      for (let tries = 0; tries < users.length && busy.has(user); tries++) {
        cursor++;
        user = users[cursor % users.length] as LabUser;
      }
      cursor++;
      const picked = user;
      return {
        path: "/me",
        headers: picked.headers(),
        onResponse: (res: LoadResponse) => onAnswer(picked, i, res),
      };
    },
    async finish() {
      // Users still waiting to log in again are let go; logins already under way finish.
      isRunning = false;
      queue.length = 0;
      await Promise.all(pending);
    },
  };
}

function waitUntil(t0: number, atMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, t0 + atMs - performance.now()));
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs the same GET /me load against every target at once and the events at their
 * times. A failed event stops the load; an event whose time comes after the load
 * was stopped is skipped (nothing is started behind the scenario's back).
 */
export async function runFaultLoad(options: FaultLoadOptions): Promise<FaultLoadRun> {
  const intervalMs = 1000 / options.rate;
  const trackers = options.targets.map((target) => trackTarget(target, intervalMs));
  const controller = new AbortController();
  const errors: unknown[] = [];
  const t0 = performance.now();
  const loads = trackers.map((tracker, index) => {
    const target = options.targets[index] as LoadTarget;
    const bar = options.progress?.(target.label, Math.ceil(options.rate * (options.durationMs / 1000)));
    return runLoad({
      baseUrl: target.stack.url,
      rate: options.rate,
      durationMs: options.durationMs,
      timeoutMs: options.timeoutMs,
      // Hung requests (a paused instance) must not queue healthy ones behind them in the client.
      connections: 128,
      maxInFlight: 512,
      signal: controller.signal,
      next: (i) => tracker.request(i),
      onProgress: ({ done }) => bar?.update(done),
    }).finally(() => bar?.done());
  });
  const live = trackers.map((tracker) => tracker.live);
  const events = options.events.map(async (event): Promise<EventTiming | null> => {
    await waitUntil(t0, event.atMs, controller.signal);
    if (controller.signal.aborted) return null;
    const startedMs = performance.now() - t0;
    try {
      await event.run(live, () => round(performance.now() - t0));
    } catch (error) {
      errors.push(error);
      controller.abort();
    }
    return {
      label: event.label,
      plannedMs: event.atMs,
      startedMs: round(startedMs),
      doneMs: round(performance.now() - t0),
    };
  });
  const runs = await Promise.allSettled(loads);
  // Events still waiting are cancelled; running ones finish, so none outlives the scenario.
  controller.abort();
  const timings = await Promise.all(events);
  await Promise.all(trackers.map((tracker) => tracker.finish()));
  for (const run of runs) if (run.status === "rejected") errors.push(run.reason);
  if (errors.length > 0) throw errors[0];
  return {
    intervalMs,
    events: timings.filter((timing): timing is EventTiming => timing !== null),
    targets: runs.map((run, index) => ({
      label: options.targets[index]?.label ?? "",
      ops: run.status === "fulfilled" ? run.value.ops : [],
      relogin: { ...(trackers[index] as ReturnType<typeof trackTarget>).relogin },
    })),
  };
}

/** The instance most users were last answered by; ties (and no data) go to the second instance, then the earlier one. */
export function busiestInstance(target: LiveTarget): string {
  const counts = target.usersByInstance();
  const ids = target.stack.instances.map((instance) => instance.id);
  const fallback = ids[1] ?? ids[0] ?? "";
  return ids.reduce((best, id) => ((counts[id] ?? 0) > (counts[best] ?? 0) ? id : best), fallback);
}
