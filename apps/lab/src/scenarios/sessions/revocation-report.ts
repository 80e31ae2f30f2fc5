import type { BarChart, Invariant } from "../../compare/results.js";
import type { Measured } from "../../compare/scenario.js";
import { formatDuration } from "../../format.js";
import { maxOf, median } from "../../stats.js";

/*
 * What the revocation scenario observes, and the pure functions that turn it into
 * its report (tables, chart, reading) and its invariants. revocation.ts drives the tries.
 */

export type VariantKey = "store" | "cache" | "denylist" | "expiry";

export interface Try {
  /** How long after its login the user logged out (a logout falls anywhere in a snapshot's or token's life). */
  ageAtLogoutMs: number;
  /** GET /me with the copied credentials on instance 2 before the logout: must be 200. */
  beforeStatus: number;
  /** `auth.source` of that answer (stateful: "session" or "cache"). */
  beforeSource: string | null;
  logoutStatus: number;
  /** From the logout's answer to the send time of the first poll answered 401; null: never within the bound. */
  latencyMs: number | null;
  polls: number;
  /** Polls that got no HTTP answer. */
  pollErrors: number;
  /** error.code of the 401. */
  code: string | null;
}

export interface MeCost {
  requests: number;
  ok: number;
  /** Of the 200 answers, ms. */
  p50Ms: number | null;
  p90Ms: number | null;
}

export interface Variant {
  key: VariantKey;
  label: string;
  /** What ends a logged-out credential on another instance. */
  mechanism: string;
  /** Longest a revocation may take by design: 0, the snapshot's life, the token's life. */
  boundMs: number;
  /** Polling gives up here: the bound + 3 s. */
  giveUpMs: number;
  tries: Try[];
  meCost: MeCost;
}

export interface RevocationObservations {
  pollIntervalMs: number;
  variants: Variant[];
}
/** Latency that still counts as "the first poll": a poll is due every `pollIntervalMs`. */
const IMMEDIATE_MS = 200;
const SLACK_MS = 1000;

const isValid = (t: Try) => t.beforeStatus === 200 && t.logoutStatus === 204;
const latencies = (v: Variant) => v.tries.flatMap((t) => (t.latencyMs === null ? [] : [t.latencyMs]));
/** For the chart: a try never revoked counts as the give-up time. */
const chartLatencies = (v: Variant) => v.tries.map((t) => t.latencyMs ?? v.giveUpMs);
const msCell = (value: number | null) => (value === null ? "—" : Math.round(value));

/** The tables, chart, reading and outcomes of the revocation scenario, from its observations alone. */
export function measureRevocation({ pollIntervalMs, variants }: RevocationObservations): Measured {
  const byKey = (key: VariantKey) => variants.find((v) => v.key === key);
  const chart: BarChart = {
    kind: "bar",
    title: "Time from logout to the first 401 on another instance",
    yLabel: "ms",
    categories: variants.map((v) => v.label),
    series: [
      { label: "median", values: variants.map((v) => median(chartLatencies(v)) ?? 0) },
      { label: "max (never revoked = give-up time)", values: variants.map((v) => maxOf(chartLatencies(v)) ?? 0) },
    ],
    stacked: false,
  };
  const meP50 = (v: Variant | undefined) => (v?.meCost.p50Ms === null || !v ? "?" : `${v.meCost.p50Ms} ms`);
  const never = (v: Variant) => v.tries.filter((t) => t.latencyMs === null).length;
  const summary = (v: Variant) => {
    const values = latencies(v);
    const missing = never(v);
    return (
      `median ${formatDuration(median(values) ?? 0)}, max ${formatDuration(maxOf(values) ?? 0)}` +
      (missing > 0 ? `; ${missing} of ${v.tries.length} tries still worked after ${formatDuration(v.giveUpMs)}` : "")
    );
  };
  const reading: string[] = [];
  const immediate = [byKey("store"), byKey("denylist")].filter((v): v is Variant => !!v);
  if (immediate.length > 0) {
    const parts = immediate.map((v) => {
      const first = v.tries.filter((t) => t.latencyMs !== null && t.latencyMs < IMMEDIATE_MS).length;
      return `${v.label}: ${first} of ${v.tries.length} tries refused on the first poll (max ${formatDuration(maxOf(latencies(v)) ?? 0)}), /me ${meP50(v)}`;
    });
    const allFirst = immediate.every((v) => v.tries.every((t) => t.latencyMs !== null && t.latencyMs < IMMEDIATE_MS));
    reading.push(
      `${parts.join("; ")}. ` +
        (allFirst
          ? "Revocation is immediate because every request asks Redis — that lookup is the price."
          : "Not every try was refused at once, though every request asks Redis: see the table."),
    );
  }
  const cache = byKey("cache");
  if (cache) {
    const store = byKey("store");
    reading.push(
      `With SESSION_CACHE=3 the logged-out session kept working on the other instance for ${summary(cache)} ` +
        `(bound ${formatDuration(cache.boundMs)}): its GETs read the signed snapshot instead of Redis ` +
        `(/me ${meP50(cache)} against ${meP50(store)} with the store on every request).`,
    );
  }
  const expiry = byKey("expiry");
  if (expiry) {
    const denylist = byKey("denylist");
    reading.push(
      `With REVOCATION=none the logged-out access token kept working for ${summary(expiry)}, up to its ` +
        `${formatDuration(expiry.boundMs)} lifetime; nothing is looked up per request (/me ${meP50(expiry)} against ` +
        `${meP50(denylist)} with the denylist).`,
    );
  }
  if (cache || expiry) {
    reading.push(
      `Logouts fell at ages spread over 0–60% of each window, so the latency there is what was left of the ` +
        `snapshot or token (window − age), measured in ${pollIntervalMs} ms polls.`,
    );
  }
  return {
    tables: [
      {
        caption:
          `Logout on instance 1, then GET /me every ${pollIntervalMs} ms with a copy of the credentials on instance 2; ` +
          "/me cost: sequential GET /me on instance 2 with a live login",
        columns: [
          "variant",
          "what revokes",
          "tries",
          "refused within bound",
          "median ms",
          "max ms",
          "bound ms",
          "/me p50 ms",
          "/me p90 ms",
        ],
        rows: variants.map((v) => [
          v.label,
          v.mechanism,
          v.tries.length,
          v.tries.filter((t) => t.latencyMs !== null && t.latencyMs <= v.boundMs + SLACK_MS).length,
          msCell(median(latencies(v))),
          msCell(maxOf(latencies(v))),
          v.boundMs,
          v.meCost.p50Ms,
          v.meCost.p90Ms,
        ]),
      },
    ],
    charts: [chart],
    reading,
    outcomes: Object.fromEntries(
      variants.map((v) => {
        const revoked = v.tries.filter((t) => isValid(t) && t.latencyMs !== null).length;
        return [v.label, { ok: revoked, fail: v.tries.length - revoked, unknown: 0 }];
      }),
    ),
  };
}

/** The revocation scenario's invariants: immediate with a lookup per request, bounded by the window otherwise. */
export function revocationInvariants({ variants }: RevocationObservations): Invariant[] {
  const byKey = (key: VariantKey) => variants.find((v) => v.key === key);
  const describe = (v: Variant | undefined) =>
    v
      ? `${v.label}: ${v.tries.map((t) => (t.latencyMs === null ? "never" : `${t.latencyMs} ms`)).join(", ")}` +
        (v.tries.some((t) => !isValid(t))
          ? ` (${v.tries.filter((t) => !isValid(t)).length} tries invalid: /me before logout or the logout failed)`
          : "")
      : "variant missing";
  const allValid = (v: Variant | undefined): v is Variant => !!v && v.tries.length > 0 && v.tries.every(isValid);
  const immediate = [byKey("store"), byKey("denylist")];
  const cache = byKey("cache");
  const expiry = byKey("expiry");
  const within = (v: Variant) => v.tries.every((t) => t.latencyMs !== null && t.latencyMs <= v.boundMs + SLACK_MS);
  const invariants: Invariant[] = [
    {
      name: "revocation latency is 0 with a denylist",
      holds: immediate.every(
        (v) => allValid(v) && v.tries.every((t) => t.latencyMs !== null && t.latencyMs < IMMEDIATE_MS),
      ),
      detail: immediate.map(describe).join("; "),
    },
    {
      name: "SESSION_CACHE=3 revokes after a delay of at most the snapshot's life",
      holds: allValid(cache) && within(cache) && cache.tries.some((t) => (t.latencyMs ?? 0) > 0),
      detail: `${describe(cache)}; bound ${cache?.boundMs ?? "?"} ms + ${SLACK_MS} ms slack`,
    },
    {
      name: "REVOCATION=none revokes only when the access token expires",
      holds: allValid(expiry) && within(expiry) && expiry.tries.every((t) => (t.latencyMs ?? 0) > 0),
      detail: `${describe(expiry)}; bound ${expiry?.boundMs ?? "?"} ms + ${SLACK_MS} ms slack`,
    },
  ];
  return invariants;
}
