import { mkdirSync } from "node:fs";
import path from "node:path";
import { type ActiveFault, clockSkewEnv, type Direction, type Fault, type Relay } from "@statelab/faults";
import { viaRelay } from "../../compare/pool.js";
import type { StackName } from "../../compare/results.js";
import type { ScenarioContext } from "../../compare/scenario.js";
import { labHome } from "../../stack/lab.js";
import type { AppName, Instance, Stack } from "../../stack/stack.js";
import type { LabUser } from "../../stack/users.js";
import { relayFault } from "./specs.js";

/** A stack whose every path to the stores goes through a fault relay, and whose last instance has a movable clock. */
export interface RelayedStack {
  stack: Stack;
  /** One relay per instance, in instance order: each instance's own link to Redis. */
  redis: Relay[];
  /** The stack's link to Postgres (every instance). */
  postgres: Relay;
  /** The instance started with libfaketime preloaded, and the file its clock offset is read from. */
  skewed: Instance;
  clockFile: string;
}

const instances = 3;

/**
 * The stacks the fault scenarios (store-slow, db-down, partition, clock-skew) share:
 * starting stacks costs seconds on 2 cores, and a relay in pass changes nothing, so
 * they start once per run. Each instance reaches Redis through its own relay (one
 * can be cut off alone) and Postgres through the stack's relay; the last instance
 * alone runs under libfaketime, at offset 0 until a scenario moves it.
 */
export async function relayedStack(ctx: ScenarioContext, app: AppName): Promise<RelayedStack> {
  const label = app === "stateful" ? "sf-faults" : "sl-faults";
  const redis = await Promise.all(
    Array.from({ length: instances }, (_, i) => ctx.relay("redis", `${label}-${i + 1}→redis`)),
  );
  const postgres = await ctx.relay("postgres", `${label}→postgres`);
  mkdirSync(labHome, { recursive: true });
  const clockFile = path.join(labHome, `clock-${label}-${instances}`);
  const stack = await ctx.stack({
    app,
    label,
    count: instances,
    databaseUrl: viaRelay(ctx.shared.databaseUrl, postgres),
    instanceEnv: redis.map((relay, i) => ({
      REDIS_URL: viaRelay(ctx.shared.redisUrl, relay),
      ...(i === instances - 1 ? clockSkewEnv(clockFile, 0) : {}),
    })),
  });
  return { stack, redis, postgres, skewed: stack.instances[instances - 1] as Instance, clockFile };
}

/** The two stacks the fault scenarios compare, as their reports label them. */
export const relayedVariants: ReadonlyArray<{ label: string; stack: StackName & AppName }> = [
  { label: "stateful", stack: "stateful" },
  { label: "stateless, denylist", stack: "stateless" },
];

/** What the fault scenarios load: the relayed stack of each variant with its users. */
export interface RelayedTargets {
  relayed: RelayedStack[];
  /** Per variant, the users in the load. */
  users: LabUser[][];
  /** Per variant, the users kept out of the load (a probe's own, whose 401s are expected). */
  spare: LabUser[][];
  targets: Array<{ label: string; stack: Stack; users: LabUser[] }>;
}

/** The relayed stacks of `variants`, `loadUsers` users each for the load and `spareUsers` kept apart. */
export async function relayedTargets(
  ctx: ScenarioContext,
  variants: ReadonlyArray<{ label: string; stack: AppName }>,
  loadUsers: number,
  spareUsers = 0,
): Promise<RelayedTargets> {
  const relayed = await Promise.all(variants.map((v) => relayedStack(ctx, v.stack)));
  const users = await Promise.all(relayed.map((r) => ctx.users(r.stack, loadUsers + spareUsers)));
  const spare = users.map((list) => list.splice(loadUsers));
  const targets = variants.map((v, i) => ({
    label: v.label,
    stack: (relayed[i] as RelayedStack).stack,
    users: users[i] ?? [],
  }));
  return { relayed, users, spare, targets };
}

/**
 * A relay fault a scenario heals itself: set by `start`, ended by `heal` — after the
 * probe, if one ran, however late a loaded machine ran it (the fault lasts until the
 * probe is done) — and at the latest by its own timer, `safetyMs` after it was set.
 */
export function healedRelayFault(
  ctx: ScenarioContext,
  spec: { name: string; relays: readonly Relay[]; fault: Fault; safetyMs: number; direction?: Direction },
) {
  let active: ActiveFault | undefined;
  let probed: Promise<unknown> = Promise.resolve();
  return {
    async start(): Promise<void> {
      active = await ctx.fault(relayFault(spec.name, spec.relays, spec.fault, spec.safetyMs, spec.direction));
    },
    /** Whether the fault is in force right now (a probe checks it before and after its requests). */
    isActive: () => active?.isActive() === true,
    /** Probes every item at once: the probe the heal waits for. */
    async probeEach<T>(items: readonly T[], probe: (item: T, i: number) => Promise<void>): Promise<void> {
      probed = Promise.all(items.map(probe));
      await probed;
    },
    /** Ends the fault once the probe is done; resolves to when it really healed (ms since the load started). */
    async heal(elapsedMs: () => number): Promise<number> {
      await probed;
      await active?.end();
      return elapsedMs();
    },
  };
}
