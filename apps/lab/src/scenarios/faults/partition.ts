import type { Relay } from "@statelab/faults";
import { formatDuration } from "../../format.js";
import { backendHealth } from "../../stack/admin.js";
import { answerOf, type LabUser } from "../../stack/users.js";
import { recoveryAfterHeal } from "./cells.js";
import { defineFaultScenario, type FaultObservations, type FaultTiming, relayedStacks } from "./define.js";
import { healedRelayFault, relayedVariants } from "./relayed.js";
import { describeErrors } from "./summary.js";

interface PartitionTiming extends FaultTiming {
  partitionAtMs: number;
  /** The logout elsewhere, 2.5 s into the partition in both modes. */
  probeAtMs: number;
  healAtMs: number;
}

/** A user logged out through another instance while the cut-off one could not reach Redis. */
export interface RevokedProbe {
  /** The logout, through a healthy instance directly (204 expected). */
  logoutStatus: number;
  /** GET /me with the revoked credentials on the cut-off instance, during the partition and after the heal. */
  meDuring: number;
  meDuringCode: string | null;
  meAfter: number;
  /** The partition was in force from before that GET /me was sent until it was answered (else it measured nothing). */
  measuredWhileCut: boolean;
  /** The cut-off instance's /readyz during the partition, and what the proxy thought of it. */
  readyDuring: number;
  proxySaw: string;
}

/** What partition measures of a variant beyond the common summary. */
export interface PartitionFigures {
  /** The instance cut off from Redis. */
  cut: string;
  probe: RevokedProbe;
}

export type PartitionObservations = FaultObservations<
  "partition" | "heal",
  PartitionFigures,
  {
    /** The proxy must stop sending to the cut-off instance within this: its Redis deadline (1 s), 2 failed checks 500 ms apart, margin. */
    ejectBoundMs: number;
  }
>;
export type PartitionVariant = PartitionObservations["variants"][number];

/** Before the probe ran: nothing measured. */
const notProbed: RevokedProbe = {
  measuredWhileCut: false,
  logoutStatus: 0,
  meDuring: 0,
  meDuringCode: null,
  meAfter: 0,
  readyDuring: 0,
  proxySaw: "unknown",
};

const errorsUntil = (v: PartitionVariant) =>
  v.summary.lastErrorDuringFaultMs === null ? "no errors" : formatDuration(v.summary.lastErrorDuringFaultMs);

/** Sentences of the reading, each a function of the observations. */
export const partitionReading = {
  perStack: (o: PartitionObservations) =>
    o.variants.map(
      (v) =>
        `${v.label}: the cut-off ${v.cut} answered /readyz ${v.probe.readyDuring} and the proxy saw it ${v.probe.proxySaw}; ` +
        `errors (${describeErrors(v.summary.errors)}) lasted until ${errorsUntil(v)} after the cut while the other instances served. ` +
        `A token logged out elsewhere got ${v.probe.meDuring} from it while cut off and ${v.probe.meAfter} after the heal.`,
    ),
  failClosed: () =>
    "Neither design keeps a copy of what lives in Redis: cut off from it, an instance cannot tell a live session or token from a revoked one, so it refuses (503, fail-closed) instead of guessing. The price is the requests the proxy sent there before ejecting it.",
};

/**
 * Scenario: one instance's link to Redis black-holes (the relay holds every byte)
 * while the others keep theirs. That instance can no longer check a session or the
 * denylist: it must answer 503 and go unready, never 200 from what it has, so the
 * proxy ejects it and the others serve; a logout done elsewhere meanwhile stays done.
 */
export const partition = defineFaultScenario({
  id: "partition",
  title: "Partition: one instance cut off from Redis",
  question:
    "When one instance loses Redis, does the proxy route around it, and can it accept a token revoked elsewhere?",
  fault: "partition",
  timing: {
    quick: {
      rate: 40,
      durationMs: 8_000,
      partitionAtMs: 1_500,
      probeAtMs: 4_000,
      healAtMs: 5_500,
      usersPerStack: 10,
      estimateSeconds: 12,
    },
    full: {
      rate: 80,
      durationMs: 22_000,
      partitionAtMs: 4_000,
      probeAtMs: 6_500,
      healAtMs: 14_000,
      usersPerStack: 20,
      estimateSeconds: 30,
    },
  } satisfies Record<"quick" | "full", PartitionTiming>,
  variants: relayedVariants,
  // One spare user per stack is the probe's: logged out mid-run, so never in the load (its 401s are expected).
  prepare: relayedStacks({ spareUsers: 1 }),
  events: [
    { key: "partition", label: "cut off", at: (t: PartitionTiming) => t.partitionAtMs },
    { key: "probe", label: "logout elsewhere", at: (t: PartitionTiming) => t.probeAtMs, isMarked: false },
    { key: "heal", label: "healed", at: (t: PartitionTiming) => t.healAtMs },
  ],
  describe: (t) =>
    `instance 1 of each stack cut off from Redis ${formatDuration(t.partitionAtMs)}–${formatDuration(t.healAtMs)}`,
  start({ ctx, timing, spare, state: relayed }) {
    const probeUsers = spare.map((list) => list[0] as LabUser);
    const probes = new Map<number, RevokedProbe>();
    const cutOff = healedRelayFault(ctx, {
      name: "partition: instance 1 ↔ Redis",
      relays: relayed.map((r) => r.redis[0] as Relay),
      fault: { kind: "blackhole" },
      safetyMs: timing.healAtMs - timing.partitionAtMs + 15_000,
    });
    return {
      actions: {
        partition: () => cutOff.start(),
        probe: () =>
          cutOff.probeEach(relayed, async (r, i) => {
            const user = probeUsers[i] as LabUser;
            const [cut, other] = r.stack.instances;
            if (!cut || !other) throw new Error(`${r.stack.label}: needs two instances`);
            const logout = await answerOf(user.clone().call(other.url, "POST", "/auth/logout"));
            const cutBefore = cutOff.isActive();
            const [me, ready, health] = await Promise.all([
              answerOf(user.clone().call(cut.url, "GET", "/me")),
              fetch(`${cut.url}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
                (res) => res.status,
                () => 0,
              ),
              backendHealth(r.stack).catch(() => ({}) as Record<string, string>),
            ]);
            probes.set(i, {
              ...notProbed,
              measuredWhileCut: cutBefore && cutOff.isActive(),
              logoutStatus: logout.status,
              meDuring: me.status,
              meDuringCode: me.code,
              readyDuring: ready,
              proxySaw: health[cut.id] ?? "unknown",
            });
          }),
        heal: async (_live, elapsedMs) => {
          const healedMs = await cutOff.heal(elapsedMs);
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          await Promise.all(
            relayed.map(async (r, i) => {
              const cut = r.stack.instances[0];
              const me = cut ? await answerOf((probeUsers[i] as LabUser).clone().call(cut.url, "GET", "/me")) : null;
              const probe = probes.get(i);
              if (probe && me) probe.meAfter = me.status;
            }),
          );
          return healedMs;
        },
      },
      phases: (e) => ({ faultMs: e.partition.startedMs, healMs: e.heal.startedMs }),
      observe: (i) => ({ cut: relayed[i]?.stack.instances[0]?.id ?? "", probe: probes.get(i) ?? notProbed }),
      extras: () => ({ ejectBoundMs: 4000 }),
    };
  },
  tables: (o) => [
    {
      caption: `${o.rate} GET /me per second per stack; instance 1 cut off from Redis ${formatDuration(o.partition.startedMs)}–${formatDuration(o.heal.startedMs)}`,
      columns: [
        "variant",
        "cut off",
        "errors",
        "errors until (after the cut)",
        "its /readyz",
        "proxy saw it",
        "logout elsewhere",
        "revoked token on it, cut off",
        "… after the heal",
        "users logged out",
      ],
      rows: o.variants.map((v) => [
        v.label,
        v.cut,
        describeErrors(v.summary.errors),
        errorsUntil(v),
        v.probe.readyDuring,
        v.probe.proxySaw,
        v.probe.logoutStatus,
        `${v.probe.meDuring} ${v.probe.meDuringCode ?? ""}`.trim(),
        v.probe.meAfter,
        v.relogin.users,
      ]),
    },
  ],
  reading: [partitionReading.perStack, partitionReading.failClosed],
  invariants: (o) =>
    o.variants.flatMap((v) => [
      {
        name: `a partitioned instance never accepts a revoked token: ${v.label}`,
        holds:
          v.probe.measuredWhileCut &&
          v.probe.logoutStatus === 204 &&
          v.probe.meDuring !== 200 &&
          v.probe.meAfter === 401,
        detail:
          `logout ${v.probe.logoutStatus}; /me on ${v.cut}: ${v.probe.meDuring} cut off, ${v.probe.meAfter} after the heal` +
          (v.probe.measuredWhileCut ? "" : " (the partition ended before the probe was answered: not measured)"),
      },
      {
        name: `the cut-off instance goes unready: ${v.label}`,
        holds: v.probe.readyDuring !== 200,
        detail: `/readyz ${v.probe.readyDuring}; proxy saw it ${v.probe.proxySaw}`,
      },
      {
        name: `the others serve: errors stop within ${formatDuration(o.ejectBoundMs)} of the cut, nobody logged out: ${v.label}`,
        holds:
          (v.summary.lastErrorDuringFaultMs ?? 0) <= o.ejectBoundMs &&
          v.summary.during.counts.ok > 0 &&
          v.relogin.users === 0,
        detail: `last error ${v.summary.lastErrorDuringFaultMs === null ? "none" : formatDuration(v.summary.lastErrorDuringFaultMs)} after the cut; ${v.summary.during.counts.ok} ok during; ${v.relogin.users} users logged out`,
      },
    ]),
  cell: (v) => ({
    recovery: `errors until ${errorsUntil(v)} after the cut (ejected); ${recoveryAfterHeal(v.summary, "the heal")}`,
    lost: `${v.relogin.users} of ${v.users} users logged out; revoked token ${v.probe.meDuring === 200 ? "ACCEPTED" : `refused (${v.probe.meDuring})`} on the cut-off instance`,
  }),
});
