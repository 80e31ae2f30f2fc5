import type { BarChart, Invariant, Table } from "../../compare/results.js";
import type { Measured } from "../../compare/scenario.js";
import { formatDuration } from "../../format.js";
import { maxOf, median, minOf } from "../../stats.js";

/*
 * What the lease-handoff scenario observes, and the pure functions that turn it
 * into its report and invariants. lease-handoff.ts runs the workers.
 */

export type VariantKey = "fenced" | "unfenced";

/** One pause of the holder, mid-write, past its ttl. */
export interface HandoffRound {
  /** The worker paused while it held the lease, and its token. */
  holder: string;
  holderToken: number;
  /** Who acquired next, with which token (null: nobody within the bound). */
  takeover: string | null;
  takeoverToken: number | null;
  /** From the SIGSTOP to the next acquire by another worker, ms. */
  handoffMs: number | null;
  /** What the resumed holder's pending write got: refused by the fence, accepted, or nothing seen. */
  staleWrite: "refused" | "accepted" | "none";
}

export interface Variant {
  key: VariantKey;
  label: string;
  isFenced: boolean;
  rounds: HandoffRound[];
  /** Every write Postgres accepted, in commit order. */
  writes: Array<{ owner: string; token: number }>;
}

export interface LeaseHandoffObservations {
  workers: number;
  ttlMs: number;
  renewEveryMs: number;
  /** Time between "my lease is valid" and the write, in which the holder was paused. */
  stallMs: number;
  /** Handoff bound: ttl + one renewal interval, plus this for a loaded machine. */
  slackMs: number;
  variants: Variant[];
}

/** Accepted writes whose token is below one accepted earlier: a stale holder wrote after a newer one. */
export function overlaps(writes: Variant["writes"]): number {
  let highest = 0;
  let count = 0;
  for (const { token } of writes) {
    if (token < highest) count += 1;
    highest = Math.max(highest, token);
  }
  return count;
}

const handoffs = (v: Variant) => v.rounds.flatMap((r) => (r.handoffMs === null ? [] : [r.handoffMs]));
const count = (v: Variant, outcome: HandoffRound["staleWrite"]) =>
  v.rounds.filter((r) => r.staleWrite === outcome).length;
const boundMs = (o: LeaseHandoffObservations) => o.ttlMs + o.renewEveryMs + o.slackMs;

/** Writes per holder: one holder is one (worker, token) pair. */
function perHolder(v: Variant): Array<{ holder: string; token: number; writes: number }> {
  const byKey = new Map<string, { holder: string; token: number; writes: number }>();
  for (const write of v.writes) {
    const key = `${write.owner}|${write.token}`;
    const entry = byKey.get(key) ?? { holder: write.owner.split(".")[0] ?? write.owner, token: write.token, writes: 0 };
    entry.writes += 1;
    byKey.set(key, entry);
  }
  return [...byKey.values()].sort((x, y) => x.token - y.token);
}

export function measureLeaseHandoff(o: LeaseHandoffObservations): Measured {
  const summary: Table = {
    caption: `${o.workers} workers, lease ttl ${o.ttlMs} ms (renewed every ${o.renewEveryMs} ms); the holder is SIGSTOPped ${o.stallMs} ms before its write, until another worker took over and wrote`,
    columns: [
      "variant",
      "rounds",
      "handoff median ms",
      "handoff max ms",
      "writes accepted",
      "stale writes refused",
      "stale writes accepted",
      "overlaps",
    ],
    rows: o.variants.map((v) => [
      v.label,
      v.rounds.length,
      median(handoffs(v)),
      maxOf(handoffs(v)),
      v.writes.length,
      count(v, "refused"),
      count(v, "accepted"),
      overlaps(v.writes),
    ]),
  };
  const holders: Table = {
    caption: "Writes per holder (a holder is a worker with one token)",
    columns: ["variant", "holder", "token", "writes"],
    rows: o.variants.flatMap((v) => perHolder(v).map((h) => [v.label, h.holder, h.token, h.writes])),
  };
  const rounds = Math.max(0, ...o.variants.map((v) => v.rounds.length));
  const chart: BarChart = {
    kind: "bar",
    title: "Handoff time per pause: SIGSTOP of the holder → another worker holds the lease",
    yLabel: "ms",
    categories: Array.from({ length: rounds }, (_, i) => `pause ${i + 1}`),
    series: o.variants.map((v) => ({ label: v.label, values: v.rounds.map((r) => r.handoffMs ?? 0) })),
    stacked: false,
  };
  const reading = o.variants.map((v) => {
    const times = handoffs(v);
    const handoff =
      times.length === 0
        ? "no takeover was seen"
        : `another worker took over ${formatDuration(minOf(times) ?? 0)}–${formatDuration(maxOf(times) ?? 0)} after the SIGSTOP (median ${formatDuration(median(times) ?? 0)}; bound ttl + ttl/3 = ${formatDuration(o.ttlMs + o.renewEveryMs)})`;
    const stale = v.isFenced
      ? `Postgres refused ${count(v, "refused")} of ${v.rounds.length} resumed holders' writes (StaleFenceError), so ${overlaps(v.writes)} stale writes landed.`
      : `${count(v, "accepted")} of ${v.rounds.length} resumed holders wrote anyway, after the new holder: ${overlaps(v.writes)} writes out of token order — a lock without fencing does not stop a paused process.`;
    return `${v.label}: ${handoff}. ${stale}`;
  });
  return {
    tables: [summary, holders],
    charts: [chart],
    reading,
    outcomes: Object.fromEntries(
      o.variants.map((v) => [v.label, { ok: v.writes.length, fail: count(v, "refused"), unknown: count(v, "none") }]),
    ),
  };
}

export function leaseHandoffInvariants(o: LeaseHandoffObservations): Invariant[] {
  const fenced = o.variants.find((v) => v.key === "fenced");
  const unfenced = o.variants.find((v) => v.key === "unfenced");
  const all = o.variants.flatMap((v) => v.rounds);
  const slowest = maxOf(o.variants.flatMap(handoffs));
  const missing = all.filter((r) => r.handoffMs === null).length;
  return [
    {
      name: "another worker takes over within ttl + one renewal interval",
      holds: all.length > 0 && missing === 0 && (slowest ?? 0) <= boundMs(o),
      detail: `slowest ${slowest ?? "—"} ms, bound ${boundMs(o)} ms (incl. ${o.slackMs} ms scheduling slack); ${missing} pauses without a takeover`,
    },
    {
      name: "fencing tokens grow with every handoff",
      holds: all.every((r) => r.takeoverToken === null || r.takeoverToken > r.holderToken),
      detail: all.map((r) => `${r.holderToken}→${r.takeoverToken ?? "—"}`).join(", "),
    },
    {
      name: "with the fence: 0 overlaps, every resumed holder's write refused",
      holds:
        !!fenced &&
        fenced.rounds.length > 0 &&
        overlaps(fenced.writes) === 0 &&
        count(fenced, "refused") === fenced.rounds.length,
      detail: fenced
        ? `${overlaps(fenced.writes)} overlaps; ${count(fenced, "refused")} of ${fenced.rounds.length} refused`
        : "not run",
    },
    {
      name: "without the fence: the resumed holders' stale writes go through (overlaps counted)",
      holds: !!unfenced && overlaps(unfenced.writes) > 0 && count(unfenced, "accepted") > 0,
      detail: unfenced
        ? `${overlaps(unfenced.writes)} overlaps; ${count(unfenced, "accepted")} of ${unfenced.rounds.length} stale writes accepted`
        : "not run",
    },
  ];
}
