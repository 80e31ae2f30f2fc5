import { authKindOf } from "../../compare/scenario.js";
import { countOutcomes, latency, type Op, runLoad } from "../../load/index.js";
import type { Stack } from "../../stack/stack.js";
import { createUsers, type LabUser } from "../../stack/users.js";
import { ControlError } from "../control/index.js";

/** Bounds of the dashboard's load: it is a demonstration, not a benchmark. */
export const trafficLimits = { maxUsers: 50, maxSeconds: 300, requestsPerUserPerSecond: 2 } as const;
/** Seconds of history the charts show. */
export const windowSeconds = 120;

export interface TrafficSettings {
  /** Virtual users per stack. */
  users: number;
  seconds: number;
}

/** One second of one stack's load, by intended send time. */
export interface TrafficPoint {
  /** Unix time, seconds. */
  t: number;
  /** ok answers per second. */
  rps: number;
  /** ms over the answers of that second; 0 when none. */
  p99: number;
  /** ops that were not ok (errors, timeouts). */
  errors: number;
}

export interface StackTraffic {
  points: TrafficPoint[];
  ok: number;
  errors: number;
  /** Users answered 401 who logged in again. */
  relogins: number;
}

export interface TrafficView {
  state: "idle" | "starting" | "running";
  usersPerStack: number;
  endsAt: number | null;
  /** The last thing worth telling (a start failure, the end of a run). */
  note: string;
  stacks: Record<string, StackTraffic>;
}

export function parseTrafficSettings(input: unknown): TrafficSettings {
  const { users, seconds } = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  const whole = (value: unknown, max: number) =>
    Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max;
  if (!whole(users, trafficLimits.maxUsers) || !whole(seconds, trafficLimits.maxSeconds)) {
    throw new ControlError(
      "bad_request",
      `the body must be {users: 1-${trafficLimits.maxUsers}, seconds: 1-${trafficLimits.maxSeconds}}`,
    );
  }
  return { users: users as number, seconds: seconds as number };
}

/**
 * Bounded load from the dashboard: N virtual users per stack, each sending GET /me at
 * a fixed rate through the stack's load balancer for at most `seconds`. Ops are counted
 * per second as they finish, so the charts move while the run goes on.
 */
export class Traffic {
  readonly #stacks: readonly Stack[];
  readonly #log: (line: string) => void;
  readonly #users = new Map<string, LabUser[]>();
  readonly #seconds = new Map<string, Map<number, Op[]>>();
  readonly #relogins = new Map<string, number>();
  #state: TrafficView["state"] = "idle";
  #usersPerStack = 0;
  #endsAt: number | null = null;
  #note = "";
  #abort: AbortController | null = null;
  #run: Promise<void> = Promise.resolve();

  constructor(stacks: readonly Stack[], log: (line: string) => void) {
    this.#stacks = stacks;
    this.#log = log;
    for (const stack of stacks) this.#seconds.set(stack.label, new Map());
  }

  /** Starts a run in the background; a run already going is a conflict. */
  start(settings: TrafficSettings): void {
    if (this.#state !== "idle") throw new ControlError("conflict", "traffic is already running: stop it first");
    this.#state = "starting";
    this.#usersPerStack = settings.users;
    this.#note = `logging in ${settings.users} users per stack…`;
    const abort = new AbortController();
    this.#abort = abort;
    this.#run = this.#drive(settings, abort.signal)
      .catch((error: unknown) => {
        this.#note = `traffic stopped: ${(error as Error).message}`;
        this.#log(this.#note);
      })
      .finally(() => {
        this.#state = "idle";
        this.#endsAt = null;
        this.#abort = null;
      });
  }

  stop(): void {
    this.#abort?.abort();
  }

  async close(): Promise<void> {
    this.stop();
    await this.#run;
  }

  view(now = Date.now()): TrafficView {
    // The second under way is not complete yet: drawn, it would look like a drop every time.
    const last = Math.floor(now / 1000) - 1;
    const stacks: Record<string, StackTraffic> = {};
    for (const stack of this.#stacks) {
      const seconds = this.#seconds.get(stack.label) as Map<number, Op[]>;
      for (const t of seconds.keys()) if (t < last - windowSeconds) seconds.delete(t);
      const points: TrafficPoint[] = [];
      let ok = 0;
      let errors = 0;
      for (let t = firstShown(seconds.keys(), last); t <= last; t++) {
        const counts = countOutcomes(seconds.get(t) ?? []);
        ok += counts.ok;
        errors += counts.fail + counts.unknown;
        points.push({
          t,
          rps: counts.ok,
          p99: latency(seconds.get(t) ?? []).p99,
          errors: counts.fail + counts.unknown,
        });
      }
      stacks[stack.label] = { points, ok, errors, relogins: this.#relogins.get(stack.label) ?? 0 };
    }
    return { state: this.#state, usersPerStack: this.#usersPerStack, endsAt: this.#endsAt, note: this.#note, stacks };
  }

  async #drive(settings: TrafficSettings, signal: AbortSignal): Promise<void> {
    const pools = await Promise.all(this.#stacks.map((stack) => this.#usersFor(stack, settings.users)));
    if (signal.aborted) return;
    this.#state = "running";
    const durationMs = settings.seconds * 1000;
    this.#endsAt = Date.now() + durationMs;
    this.#note = `${settings.users} users per stack, ${settings.users * trafficLimits.requestsPerUserPerSecond} GET /me/s each`;
    this.#log(`traffic: ${this.#note} for ${settings.seconds} s`);
    await Promise.all(this.#stacks.map((stack, i) => this.#load(stack, pools[i] as LabUser[], durationMs, signal)));
    this.#note = signal.aborted ? "traffic stopped" : "traffic finished";
  }

  async #usersFor(stack: Stack, count: number): Promise<LabUser[]> {
    const pool = this.#users.get(stack.label) ?? [];
    if (pool.length < count) {
      pool.push(...(await createUsers(stack.url, authKindOf(stack.app), count - pool.length, "dash")));
    }
    this.#users.set(stack.label, pool);
    return pool.slice(0, count);
  }

  async #load(stack: Stack, users: LabUser[], durationMs: number, signal: AbortSignal): Promise<void> {
    const seconds = this.#seconds.get(stack.label) as Map<number, Op[]>;
    const startedAt = Date.now();
    const relogging = new Set<LabUser>();
    const relogin = (user: LabUser) => {
      if (relogging.has(user)) return;
      relogging.add(user);
      user
        .login(stack.url)
        .then(() => this.#relogins.set(stack.label, (this.#relogins.get(stack.label) ?? 0) + 1))
        .catch(() => {})
        .finally(() => relogging.delete(user));
    };
    await runLoad({
      baseUrl: stack.url,
      rate: users.length * trafficLimits.requestsPerUserPerSecond,
      durationMs,
      signal,
      next: (i) => {
        const user = users[i % users.length] as LabUser;
        return {
          path: "/me",
          headers: user.headers("GET"),
          onResponse: (res) => {
            const cookies = res.headers["set-cookie"];
            if (cookies) user.absorb(Array.isArray(cookies) ? cookies : [cookies]);
            if (res.status === 401) relogin(user);
            return undefined;
          },
        };
      },
      onOp: (op: Op) => {
        if (op.code === "aborted") return;
        const t = Math.floor((startedAt + op.t) / 1000);
        const second = seconds.get(t) ?? [];
        second.push(op);
        seconds.set(t, second);
      },
    });
  }
}

/** Seconds shown: the whole window once it has traffic from its start; before that, from just before the first op (at least the last 30 s). */
function firstShown(active: Iterable<number>, last: number): number {
  const first = Math.min(...active);
  return Math.max(last - windowSeconds + 1, Math.min(first - 2, last - 29));
}
