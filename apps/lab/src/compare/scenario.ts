import type { ActiveFault, FaultSpec, Relay } from "@statelab/faults";
import type { AppName, SharedState, Stack, StackSpec } from "../stack/stack.js";
import type { AuthKind, LabUser } from "../stack/users.js";
import type { Chart, FaultCell, Invariant, OutcomeCounts, ScenarioResult, Table } from "./results.js";

export interface ProgressBar {
  /** Sets how far it is, out of `total`. */
  update(done: number): void;
  done(): void;
}

export interface ScenarioContext {
  shared: SharedState;
  log(line: string): void;
  /** One bar per variant of the scenario: a TTY bar, or plain lines when not a TTY. */
  progress(label: string, total: number): ProgressBar;
  stack(spec: StackSpec): Promise<Stack>;
  /** Fresh users, signed up and logged in through `stack`. */
  users(stack: Stack, count: number): Promise<LabUser[]>;
  /** The Redis key prefix the instances of `stack` use. */
  prefixOf(stack: Stack): string;
  /** A Redis server of the scenario's own, which it may stop and start. */
  privateRedis(): Promise<PrivateRedis>;
  /**
   * The fault relay `name` in front of the lab's Redis or Postgres: started on first
   * use, shared by later scenarios (like the stacks that reach the store through it),
   * back to pass whenever a scenario ends.
   */
  relay(target: "redis" | "postgres", name: string): Promise<Relay>;
  /** Starts a fault that heals itself after its duration, and at the latest when the scenario ends. */
  fault(spec: FaultSpec): Promise<ActiveFault>;
  sleep(ms: number): Promise<void>;
}

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** What a scenario shows: rendered by the report exactly as given. */
export interface Measured {
  tables: Table[];
  charts: Chart[];
  reading: string[];
  outcomes: Record<string, OutcomeCounts>;
  /** The fault scenarios' cells of the fault matrix. */
  faultCells?: FaultCell[];
}

/** An experiment's numbers in one mode: every scenario's timing has at least its expected length. */
export interface Timing {
  /** Rough wall time, for the estimate printed before a run. */
  estimateSeconds: number;
}

/**
 * One experiment, one file. `run` sets up its stacks and users, drives load and
 * injects its fault, and returns plain observations; `measure` and `invariants`
 * are pure functions of those observations, so the report never computes and
 * the numbers can be re-derived from results.json. Its numbers (rates, lengths,
 * counts) are data: `timing.quick` and `timing.full` side by side.
 */
export interface Scenario<Observations extends object = object, T extends Timing = Timing> {
  id: string;
  title: string;
  question: string;
  timing: { quick: T; full: T };
  run(ctx: ScenarioContext, timing: T): Promise<Observations>;
  measure(observations: Observations): Measured;
  invariants(observations: Observations): Invariant[];
}

/** Lets a registry hold scenarios of different observation and timing types. */
export function defineScenario<O extends object, T extends Timing>(scenario: Scenario<O, T>): Scenario<object> {
  return scenario as unknown as Scenario<object>;
}

/** The timing of `scenario` in this run's mode. */
export const timingOf = <T extends Timing>(scenario: Pick<Scenario<object, T>, "timing">, quick: boolean): T =>
  quick ? scenario.timing.quick : scenario.timing.full;

export type { AuthKind, ScenarioResult };

/** The auth kind a backend speaks. */
export const authKindOf = (app: AppName): AuthKind => (app === "stateful" ? "cookie" : "bearer");
