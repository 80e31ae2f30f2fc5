import type { Chart, FaultCell, Invariant, Marker, MatrixFault, StackName, Table } from "../../compare/results.js";
import { defineScenario, type ScenarioContext, type Timing } from "../../compare/scenario.js";
import { formatDuration } from "../../format.js";
import type { Op } from "../../load/index.js";
import type { StackSpec } from "../../stack/stack.js";
import type { LabUser } from "../../stack/users.js";
import { faultCell } from "./cells.js";
import {
  type EventTiming,
  type LiveTarget,
  type LoadTarget,
  prepareTargets,
  type ReloginCounts,
  runFaultLoad,
} from "./load.js";
import { type RelayedStack, relayedTargets } from "./relayed.js";
import { eventAt, type FaultSummary, marker, type Phases, summarizeFault, timelineCharts } from "./summary.js";

/**
 * One shape for the fault scenarios (crash, pause, store-outage, store-slow, db-down,
 * partition, proxy-restart): open-loop GET /me load on every variant's stack at once,
 * faults and heals at fixed times, each variant's ops summarised around the fault. A
 * scenario declares what is its own — its variants, its numbers, its events, its
 * extra figures, tables, sentences and claims — and this file does the rest: the
 * stacks and users, the load, the event times, the summaries, the timeline charts,
 * the outcome counts and the fault-matrix cells.
 */

/** A fault scenario's numbers in one mode (quick or full). */
export interface FaultTiming extends Timing {
  /** GET /me per second, per stack. */
  rate: number;
  durationMs: number;
  /** Logged-in users per stack whose credentials the load takes turns with. */
  usersPerStack: number;
}

/** One stack under the load, named as the report and the fault matrix name it. */
export interface FaultVariantSpec {
  label: string;
  /** The matrix column it fills. */
  stack: StackName;
}

/** What every fault scenario measures of every variant. */
export interface FaultVariant {
  label: string;
  stack: StackName;
  users: number;
  summary: FaultSummary;
  /** Users answered 401 who logged in again, as a person would. */
  relogin: ReloginCounts;
}

/** A fault scenario's observations: the load, each event's timing under its key, the variants, the run's own figures. */
export type FaultObservations<K extends string, V extends object = object, X extends object = object> = {
  rate: number;
  durationMs: number;
  variants: Array<FaultVariant & V>;
} & Record<K, EventTiming> &
  X;

/** The load's targets (one per variant, in order) and the users kept out of the load. */
export interface Prepared<S> {
  targets: LoadTarget[];
  /** Per variant, users kept out of the load (a probe's own, whose 401s are expected). */
  spare: LabUser[][];
  /** Whatever else the scenario set up (a Redis of its own, the relayed stacks). */
  state: S;
}

/** A fault or a heal: where its timing goes, its marker, and when (a field of the timing). */
export interface FaultEventSpec<K extends string, T> {
  /** The observation field its timing goes under. */
  key: K;
  /** The marker's label on the charts. */
  label: string;
  /** ms after the load started, from the mode's timing. */
  at(timing: T): number;
  /** A probe is an event but not a fault: no marker. */
  isMarked?: boolean;
}

/**
 * What an event does against the live targets. May resolve to the ms (since the load
 * started) at which it really took effect, e.g. a heal that first waited for a probe.
 */
export type FaultAction = (targets: readonly LiveTarget[], elapsedMs: () => number) => Promise<unknown>;

/** What one run of the scenario does and keeps, built fresh for every run (its own maps, its own promises). */
export interface FaultRun<K extends string, V extends object, X extends object> {
  /** What each event does in this run. */
  actions: Record<K, FaultAction>;
  /** After the load ended, before anything is observed: wait for what the events left running. */
  afterLoad?(): Promise<void>;
  /** When the fault began and healed for variant `i`: how its ops split into before, during and after. */
  phases(events: Record<K, EventTiming>, i: number): Phases;
  /** What variant `i` measured beyond the common summary. */
  observe(i: number, ops: readonly Op[], events: Record<K, EventTiming>): V;
  /** The run's own figures (bounds, moments a fault really took effect). */
  extras(events: Record<K, EventTiming>): X;
}

/** The three texts of a variant's fault-matrix cell beyond the defaults; null leaves it out of the matrix. */
export type CellOverride = { recovery: string; errors?: string; lost?: string } | null;

export interface FaultScenarioDefinition<
  K extends string,
  T extends FaultTiming,
  D extends FaultVariantSpec,
  S,
  V extends object,
  X extends object,
> {
  id: string;
  title: string;
  question: string;
  /** The matrix row its cells fill. */
  fault: MatrixFault;
  timing: { quick: T; full: T };
  /** Per request, from its intended send time; longer than the proxy's 2 s upstream timeout so its 504s show. */
  timeoutMs?: number;
  variants: readonly D[];
  /** The faults, heals and probes, in the order the charts mark them. */
  events: ReadonlyArray<FaultEventSpec<K, T>>;
  /** Starts the stacks and logs the users in: `ownStacks` or `relayedStacks`. */
  prepare(ctx: ScenarioContext, timing: FaultTiming, variants: readonly D[]): Promise<Prepared<S>>;
  /** The log line when the load starts: the fault and its times. */
  describe(timing: T): string;
  /** The events and the observers of one run. */
  start(run: {
    ctx: ScenarioContext;
    timing: T;
    targets: readonly LoadTarget[];
    spare: readonly LabUser[][];
    state: S;
  }): FaultRun<K, V, X>;
  tables(o: FaultObservations<K, V, X>): Table[];
  /** Charts shown before the two timelines (ok/s and errors/s). */
  charts?(o: FaultObservations<K, V, X>): Chart[];
  /** The timelines' markers; by default every marked event where it started. */
  markers?(o: FaultObservations<K, V, X>): Marker[];
  /** The reading, sentence by sentence: each a small function of the observations (none, one or several sentences). */
  reading: ReadonlyArray<(o: FaultObservations<K, V, X>) => string | readonly string[] | null>;
  invariants(o: FaultObservations<K, V, X>): Invariant[];
  /** The variant's fault-matrix cell: its recovery text (and any other text that differs), or null to leave it out. */
  cell(v: FaultVariant & V, o: FaultObservations<K, V, X>): CellOverride;
}

/** No 401 was answered: the re-login counts of a target whose load did not run. */
export const noRelogin = (): ReloginCounts => ({ users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 });

/** Each variant's own stack (`spec`), `usersPerStack` users each and `spareUsers` kept out of the load. */
export function ownStacks<D extends FaultVariantSpec & { spec: StackSpec }>(
  options: { spareUsers?: number; spec?: (v: D) => StackSpec } = {},
) {
  return async (ctx: ScenarioContext, timing: FaultTiming, variants: readonly D[]): Promise<Prepared<null>> => {
    const spareUsers = options.spareUsers ?? 0;
    const targets = await prepareTargets(
      ctx,
      variants.map((v) => ({ label: v.label, spec: options.spec?.(v) ?? v.spec })),
      timing.usersPerStack + spareUsers,
    );
    const spare = targets.map((target) => target.users.splice(timing.usersPerStack));
    return { targets, spare, state: null };
  };
}

/** The relayed stacks every fault scenario shares (relayed.ts), `usersPerStack` users each and `spareUsers` apart. */
export function relayedStacks(options: { spareUsers?: number } = {}) {
  return async (
    ctx: ScenarioContext,
    timing: FaultTiming,
    variants: readonly FaultVariantSpec[],
  ): Promise<Prepared<RelayedStack[]>> => {
    const prepared = await relayedTargets(ctx, variants, timing.usersPerStack, options.spareUsers ?? 0);
    return { targets: prepared.targets, spare: prepared.spare, state: prepared.relayed };
  };
}

/** Declares a fault scenario: see the top of this file for what it does for the scenario. */
export function defineFaultScenario<
  K extends string,
  T extends FaultTiming,
  D extends FaultVariantSpec,
  S,
  V extends object,
  X extends object,
>(def: FaultScenarioDefinition<K, T, D, S, V, X>) {
  type O = FaultObservations<K, V, X>;
  const measure = (o: O) => ({
    tables: def.tables(o),
    charts: [
      ...(def.charts?.(o) ?? []),
      ...timelineCharts(
        o.variants.map((v) => ({ label: v.label, summary: v.summary })),
        def.markers?.(o) ?? defaultMarkers(o),
      ),
    ],
    reading: def.reading.flatMap((sentence) => sentence(o) ?? []),
    outcomes: Object.fromEntries(o.variants.map((v) => [v.label, v.summary.counts])),
    faultCells: o.variants.flatMap((v): FaultCell[] => {
      const own = def.cell(v, o);
      return own === null ? [] : [{ ...faultCell(def.fault, v.stack, v, own.recovery), ...own }];
    }),
  });
  const defaultMarkers = (o: O): Marker[] =>
    def.events.filter((event) => event.isMarked !== false).map((event) => marker(o[event.key] as EventTiming));

  return defineScenario<O, T>({
    id: def.id,
    title: def.title,
    question: def.question,
    timing: def.timing,
    async run(ctx, timing) {
      const setupStarted = Date.now();
      const { targets, spare, state } = await def.prepare(ctx, timing, def.variants);
      ctx.log(
        `${def.id}: ${targets.length} stacks and their users ready in ${formatDuration(Date.now() - setupStarted)}`,
      );
      const run = def.start({ ctx, timing, targets, spare, state });
      const effective = new Map<K, number>();
      ctx.log(
        `${def.id}: ${timing.rate} GET /me/s per stack for ${formatDuration(timing.durationMs)}; ${def.describe(timing)}`,
      );
      const load = await runFaultLoad({
        rate: timing.rate,
        durationMs: timing.durationMs,
        timeoutMs: def.timeoutMs ?? 5000,
        targets,
        progress: ctx.progress,
        events: def.events.map((event) => ({
          atMs: event.at(timing),
          label: event.label,
          run: async (live, elapsedMs) => {
            const at = await run.actions[event.key](live, elapsedMs);
            if (typeof at === "number") effective.set(event.key, at);
          },
        })),
      });
      await run.afterLoad?.();
      const events = Object.fromEntries(
        def.events.map((event) => {
          const ran = eventAt(load, event.label, event.at(timing));
          const at = effective.get(event.key);
          return [event.key, at === undefined ? ran : { ...ran, startedMs: at }];
        }),
      ) as Record<K, EventTiming>;
      const variants = def.variants.map((v, i) => {
        const ops = load.targets[i]?.ops ?? [];
        return {
          label: v.label,
          stack: v.stack,
          users: targets[i]?.users.length ?? 0,
          summary: summarizeFault(ops, run.phases(events, i)),
          relogin: load.targets[i]?.relogin ?? noRelogin(),
          ...run.observe(i, ops, events),
        };
      });
      return { rate: timing.rate, durationMs: timing.durationMs, ...events, ...run.extras(events), variants } as O;
    },
    measure,
    invariants: (o) => def.invariants(o),
  });
}
