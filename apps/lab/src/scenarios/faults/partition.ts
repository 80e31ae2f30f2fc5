import type { ActiveFault, Relay } from "@statelab/faults";
import { relayFault } from "../../compare/fault-specs.js";
import type { StackName } from "../../compare/results.js";
import { defineScenario } from "../../compare/scenario.js";
import { formatDuration } from "../../format.js";
import { backendHealth } from "../../stack/admin.js";
import type { LabUser } from "../../stack/users.js";
import { faultCell, recoveryAfterHeal } from "./cells.js";
import { type EventTiming, type ReloginCounts, runFaultLoad } from "./load.js";
import { relayedTargets, relayedVariants } from "./relayed.js";
import { describeErrors, eventAt, type FaultSummary, marker, summarizeFault, timelineCharts } from "./summary.js";

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

export interface PartitionVariant {
  label: string;
  stack: StackName;
  users: number;
  /** The instance cut off from Redis. */
  cut: string;
  summary: FaultSummary;
  relogin: ReloginCounts;
  probe: RevokedProbe;
}

export interface PartitionObservations {
  rate: number;
  durationMs: number;
  partition: EventTiming;
  heal: EventTiming;
  /** The proxy must stop sending to the cut-off instance within this: its Redis deadline (1 s), 2 failed checks 500 ms apart, margin. */
  ejectBoundMs: number;
  variants: PartitionVariant[];
}

const variants = relayedVariants;

const statusOf = (reply: Promise<{ status: number; code: string | null }>) =>
  reply.catch(() => ({ status: 0, code: "no_answer" }));

/**
 * Scenario: one instance's link to Redis black-holes (the relay holds every byte)
 * while the others keep theirs. That instance can no longer check a session or the
 * denylist: it must answer 503 and go unready, never 200 from what it has, so the
 * proxy ejects it and the others serve; a logout done elsewhere meanwhile stays done.
 */
export const partition = defineScenario<PartitionObservations>({
  id: "partition",
  title: "Partition: one instance cut off from Redis",
  question:
    "When one instance loses Redis, does the proxy route around it, and can it accept a token revoked elsewhere?",
  estimateSeconds: (quick) => (quick ? 12 : 30),
  async run(ctx) {
    const rate = ctx.quick ? 40 : 80;
    const partitionAtMs = ctx.quick ? 1_500 : 4_000;
    const healAtMs = partitionAtMs + (ctx.quick ? 4_000 : 10_000);
    const durationMs = healAtMs + (ctx.quick ? 2_500 : 8_000);
    const probeAtMs = partitionAtMs + 2_500;
    // One spare user per stack is the probe's: logged out mid-run, so never in the load (its 401s are expected).
    const { relayed, spare, targets } = await relayedTargets(ctx, variants, ctx.quick ? 10 : 20, 1);
    const probeUsers = spare.map((list) => list[0] as LabUser);
    const probes = new Map<number, Partial<RevokedProbe>>();
    let fault: ActiveFault | undefined;
    let probed: Promise<unknown> = Promise.resolve();
    let healedMs: number | null = null;
    ctx.log(
      `partition: instance 1 of each stack cut off from Redis ${formatDuration(partitionAtMs)}–${formatDuration(healAtMs)}`,
    );
    const run = await runFaultLoad({
      rate,
      durationMs,
      timeoutMs: 5000,
      targets,
      progress: ctx.progress,
      events: [
        {
          atMs: partitionAtMs,
          label: "cut off",
          run: async () => {
            const links = relayed.map((r) => r.redis[0] as Relay);
            fault = await ctx.fault(
              // The heal event ends it once the probe is done; the timer is the safety net.
              relayFault(
                "partition: instance 1 ↔ Redis",
                links,
                { kind: "blackhole" },
                healAtMs - partitionAtMs + 15_000,
              ),
            );
          },
        },
        {
          atMs: probeAtMs,
          label: "logout elsewhere",
          run: async () => {
            probed = Promise.all(
              relayed.map(async (r, i) => {
                const user = probeUsers[i] as LabUser;
                const [cut, other] = r.stack.instances;
                if (!cut || !other) throw new Error(`${r.stack.label}: needs two instances`);
                const logout = await statusOf(user.clone().call(other.url, "POST", "/auth/logout"));
                const cutBefore = fault?.isActive() === true;
                const [me, ready, health] = await Promise.all([
                  statusOf(user.clone().call(cut.url, "GET", "/me")),
                  fetch(`${cut.url}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
                    (res) => res.status,
                    () => 0,
                  ),
                  backendHealth(r.stack).catch(() => ({}) as Record<string, string>),
                ]);
                probes.set(i, {
                  measuredWhileCut: cutBefore && fault?.isActive() === true,
                  logoutStatus: logout.status,
                  meDuring: me.status,
                  meDuringCode: me.code,
                  readyDuring: ready,
                  proxySaw: health[cut.id] ?? "unknown",
                });
              }),
            );
            await probed;
          },
        },
        {
          atMs: healAtMs,
          label: "heal",
          // On a loaded machine the probe can run late: the partition lasts until it is done.
          run: async (_targets, elapsedMs) => {
            await probed;
            await fault?.end();
            healedMs = elapsedMs();
            await new Promise((resolve) => setTimeout(resolve, 1_500));
            await Promise.all(
              relayed.map(async (r, i) => {
                const cut = r.stack.instances[0];
                const me = cut ? await statusOf((probeUsers[i] as LabUser).clone().call(cut.url, "GET", "/me")) : null;
                const probe = probes.get(i);
                if (probe && me) probe.meAfter = me.status;
              }),
            );
          },
        },
      ],
    });
    const cutEvent = eventAt(run, "cut off", partitionAtMs);
    const healEvent = eventAt(run, "heal", healAtMs);
    const heal = { ...healEvent, label: "healed", startedMs: healedMs ?? healEvent.startedMs };
    return {
      rate,
      durationMs,
      partition: cutEvent,
      heal,
      ejectBoundMs: 4000,
      variants: variants.map((v, i) => {
        const probe = probes.get(i) ?? {};
        return {
          label: v.label,
          stack: v.stack,
          users: targets[i]?.users.length ?? 0,
          cut: relayed[i]?.stack.instances[0]?.id ?? "",
          summary: summarizeFault(run.targets[i]?.ops ?? [], { faultMs: cutEvent.startedMs, healMs: heal.startedMs }),
          relogin: run.targets[i]?.relogin ?? { users: 0, unauthorized: 0, firstAtMs: null, succeeded: 0, failed: 0 },
          probe: {
            measuredWhileCut: probe.measuredWhileCut ?? false,
            logoutStatus: probe.logoutStatus ?? 0,
            meDuring: probe.meDuring ?? 0,
            meDuringCode: probe.meDuringCode ?? null,
            meAfter: probe.meAfter ?? 0,
            readyDuring: probe.readyDuring ?? 0,
            proxySaw: probe.proxySaw ?? "unknown",
          },
        };
      }),
    };
  },
  measure(o) {
    const errorsUntil = (v: PartitionVariant) =>
      v.summary.lastErrorDuringFaultMs === null ? "no errors" : formatDuration(v.summary.lastErrorDuringFaultMs);
    const markers = [marker(o.partition), marker(o.heal)];
    return {
      tables: [
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
      charts: timelineCharts(
        o.variants.map((v) => ({ label: v.label, summary: v.summary })),
        markers,
      ),
      reading: [
        ...o.variants.map(
          (v) =>
            `${v.label}: the cut-off ${v.cut} answered /readyz ${v.probe.readyDuring} and the proxy saw it ${v.probe.proxySaw}; ` +
            `errors (${describeErrors(v.summary.errors)}) lasted until ${errorsUntil(v)} after the cut while the other instances served. ` +
            `A token logged out elsewhere got ${v.probe.meDuring} from it while cut off and ${v.probe.meAfter} after the heal.`,
        ),
        "Neither design keeps a copy of what lives in Redis: cut off from it, an instance cannot tell a live session or token from a revoked one, so it refuses (503, fail-closed) instead of guessing. The price is the requests the proxy sent there before ejecting it.",
      ],
      outcomes: Object.fromEntries(o.variants.map((v) => [v.label, v.summary.counts])),
      faultCells: o.variants.map((v) => ({
        ...faultCell(
          "partition",
          v.stack,
          v,
          `errors until ${errorsUntil(v)} after the cut (ejected); ${recoveryAfterHeal(v.summary, "the heal")}`,
        ),
        lost: `${v.relogin.users} of ${v.users} users logged out; revoked token ${v.probe.meDuring === 200 ? "ACCEPTED" : `refused (${v.probe.meDuring})`} on the cut-off instance`,
      })),
    };
  },
  invariants(o) {
    return o.variants.flatMap((v) => [
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
    ]);
  },
});
