import type { BarChart, Cell, Invariant } from "../../compare/results.js";
import type { Measured } from "../../compare/scenario.js";
import { formatDuration, round } from "../../format.js";
import type { KeyStats } from "../lab-redis.js";

/*
 * What the expiry scenario observes, and the pure functions that turn it into its
 * report (tables, chart, reading) and its invariants. expiry.ts drives the logins.
 */

/** Keys under one stack's prefix, by what they are (apps/stateful: session-store.ts, session-index.ts). */
export interface KeyCounts {
  /** `<prefix>sess:<sha256(id)>`: one per session. */
  sessions: number;
  /** `<prefix>user-sessions:<userId>`: the per-user session index. */
  indexes: number;
  other: number;
}

export interface StateVariant {
  label: string;
  state: "soft" | "hard";
  /** SESSION_TTL, seconds; null for hard state (no TTL). */
  ttlSeconds: number | null;
  logins: number;
  loginFailures: number;
  /** From the first login of the burst to the last. */
  loginSpanMs: number;
  /** From the last login to the second count. */
  waitedMs: number;
  afterLogin: KeyCounts;
  afterWait: KeyCounts;
  /** MEMORY USAGE and PTTL of the session keys, read right after the logins. */
  sessionKeys: KeyStats;
  indexKeys: KeyStats;
}

export interface DenylistObservation {
  label: string;
  /** The stack's ACCESS_TTL (its default): what bounds a denylist entry's life. */
  accessTtlSeconds: number;
  logouts: number;
  logoutFailures: number;
  /** `<prefix>deny:jti:<jti>` keys these logouts wrote, read right after. */
  jti: KeyStats;
  /** `<prefix>deny:fid:<family>` keys these logouts wrote. */
  fid: KeyStats;
  /** `deny:*` keys under the prefix that these logouts did not write (other scenarios share the stack). */
  foreign: number;
}

export interface ExpiryObservations {
  /** Logins abandoned per variant (N). */
  abandoned: number;
  /** How long after the last login the second count was taken, beyond the TTL. */
  slackMs: number;
  variants: StateVariant[];
  denylist: DenylistObservation;
}

/** A TTL as a reader takes it in: 548 ms, 2.0 s, 5.1 min, 8.0 h. */
export function duration(ms: number): string {
  if (ms < 120_000) return formatDuration(ms);
  if (ms < 2 * 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

const ttlCell = (stats: KeyStats): string =>
  stats.minTtlMs === null || stats.maxTtlMs === null
    ? "none"
    : duration(stats.minTtlMs) === duration(stats.maxTtlMs)
      ? duration(stats.maxTtlMs)
      : `${duration(stats.minTtlMs)} – ${duration(stats.maxTtlMs)}`;

/** What became of the per-user index under soft state: reported as data, not checked. */
function indexSentence(soft: StateVariant): string {
  const { count, withoutTtl, avgBytes } = soft.indexKeys;
  const left = soft.afterWait.indexes;
  if (left === 0) {
    return `The per-user session index expired with the sessions under soft state (${count} index keys after login, 0 left).`;
  }
  const ttls =
    withoutTtl === count
      ? "none of them had a TTL, so they never expire."
      : `${withoutTtl === 0 ? "every one" : `${count - withoutTtl} of ${count}`} had a TTL of ${ttlCell(soft.indexKeys)}` +
        `${withoutTtl > 0 ? ` and ${withoutTtl} none` : ""}, against ${soft.ttlSeconds} s for the sessions.`;
  return (
    `The per-user session index did not expire with the sessions: ${left} index keys (${avgBytes ?? "?"} B each) ` +
    `outlived them under soft state; right after login ${ttls}`
  );
}

const bytesCell = (stats: KeyStats): Cell => stats.avgBytes;

/** The tables, chart, reading and outcomes of the expiry scenario, from its observations alone. */
export function measureExpiry({ abandoned, slackMs, variants, denylist }: ExpiryObservations): Measured {
  const soft = variants.find((v) => v.state === "soft");
  const hard = variants.find((v) => v.state === "hard");
  const chart: BarChart = {
    kind: "bar",
    title: `Keys left in Redis after TTL + ${formatDuration(slackMs)} (${abandoned} abandoned logins)`,
    yLabel: "keys",
    categories: variants.map((v) => v.label),
    series: [
      { label: "session keys (sess:)", values: variants.map((v) => v.afterWait.sessions) },
      { label: "per-user index keys", values: variants.map((v) => v.afterWait.indexes) },
    ],
    stacked: false,
  };
  const perLogout =
    denylist.jti.avgBytes === null || denylist.fid.avgBytes === null
      ? null
      : denylist.jti.avgBytes + denylist.fid.avgBytes;
  const reading: string[] = [];
  if (soft) {
    const left = soft.afterWait.sessions;
    reading.push(
      `Soft state (SESSION_TTL=${soft.ttlSeconds} s): ${left} of ${soft.logins} abandoned sessions were still in Redis ` +
        `${formatDuration(soft.waitedMs)} after the last login` +
        (left === 0
          ? " — the TTL removed every one without a sweeper."
          : ` — expiry did not remove ${left === soft.logins ? "any" : "all"} of them.`),
    );
  }
  if (hard) {
    const left = hard.afterWait.sessions;
    reading.push(
      `Hard state: ${left} of ${hard.logins} abandoned sessions stayed` +
        (left === hard.logins
          ? `, and will stay until a logout that never comes: ${hard.sessionKeys.avgBytes ?? "?"} B of Redis each, for ever.`
          : ` (${hard.logins - left} disappeared, which hard state should never do).`),
    );
  }
  if (soft) reading.push(indexSentence(soft));
  reading.push(
    `A stateless logout (REVOCATION=denylist) wrote ${denylist.jti.count} jti and ${denylist.fid.count} family keys for ` +
      `${denylist.logouts} logouts, ${perLogout ?? "?"} B per logout, ` +
      (denylist.jti.withoutTtl + denylist.fid.withoutTtl === 0
        ? `each with a TTL of at most ${duration(Math.max(denylist.jti.maxTtlMs ?? 0, denylist.fid.maxTtlMs ?? 0))} ` +
          `(ACCESS_TTL=${denylist.accessTtlSeconds} s plus clock tolerance) — the denylist is bounded by the access-token lifetime, not by how many logouts ever happened.`
        : `but ${denylist.jti.withoutTtl + denylist.fid.withoutTtl} of them had no TTL.`),
  );
  const memoryRow = (entry: string, stats: KeyStats): Cell[] => [
    entry,
    stats.count,
    bytesCell(stats),
    ttlCell(stats),
    stats.withoutTtl,
  ];
  return {
    tables: [
      {
        caption: `${abandoned} logins abandoned per variant (no request, no logout): keys under each stack's prefix`,
        columns: [
          "variant",
          "logins",
          "session keys after login",
          "session keys after TTL + slack",
          "index keys after login",
          "index keys after TTL + slack",
          "counted after",
        ],
        rows: variants.map((v) => [
          v.label,
          v.logins,
          v.afterLogin.sessions,
          v.afterWait.sessions,
          v.afterLogin.indexes,
          v.afterWait.indexes,
          formatDuration(v.waitedMs),
        ]),
      },
      {
        caption: "What Redis reports per entry right after it was written (MEMORY USAGE, PTTL)",
        columns: ["entry", "keys", "bytes each (mean)", "TTL reported", "keys without TTL"],
        rows: [
          ...variants.flatMap((v) => [
            memoryRow(`session, ${v.label}`, v.sessionKeys),
            memoryRow(`per-user index, ${v.label}`, v.indexKeys),
          ]),
          memoryRow("denylist jti (stateless logout)", denylist.jti),
          memoryRow("denylist device family (stateless logout)", denylist.fid),
        ],
      },
    ],
    charts: [chart],
    reading,
    outcomes: {
      ...Object.fromEntries(
        variants.map((v) => [`${v.label}: logins`, { ok: v.logins, fail: v.loginFailures, unknown: 0 }]),
      ),
      [`${denylist.label}: logouts`]: { ok: denylist.logouts, fail: denylist.logoutFailures, unknown: 0 },
    },
  };
}

/** The expiry scenario's invariants: soft state leaves nothing, hard state everything, the denylist is bounded. */
export function expiryInvariants({ abandoned, variants, denylist }: ExpiryObservations): Invariant[] {
  const soft = variants.find((v) => v.state === "soft");
  const hard = variants.find((v) => v.state === "hard");
  const invariants: Invariant[] = [
    {
      name: "soft expiry leaves 0 orphans",
      holds: !!soft && soft.afterLogin.sessions > 0 && soft.afterWait.sessions === 0,
      detail: soft
        ? `${soft.afterWait.sessions} session keys left ${formatDuration(soft.waitedMs)} after the last of ${soft.logins} logins ` +
          `(${soft.afterLogin.sessions} live right after; TTL ${soft.ttlSeconds} s); ` +
          `index keys left: ${soft.afterWait.indexes} (reported, not checked)`
        : "no soft-state variant ran",
    },
    {
      name: `hard state leaves every abandoned session (${abandoned})`,
      holds: !!hard && hard.logins === abandoned && hard.afterWait.sessions === abandoned,
      detail: hard
        ? `${hard.afterWait.sessions} session keys left of ${hard.logins} logins (${abandoned} attempted)`
        : "no hard-state variant ran",
    },
    {
      name: "every denylist entry carries a TTL",
      holds:
        denylist.logouts > 0 &&
        denylist.jti.count === denylist.logouts &&
        denylist.fid.count === denylist.logouts &&
        denylist.jti.withoutTtl + denylist.fid.withoutTtl === 0,
      detail:
        `${denylist.jti.count} jti and ${denylist.fid.count} family keys for ${denylist.logouts} logouts; ` +
        `${denylist.jti.withoutTtl + denylist.fid.withoutTtl} without TTL; longest TTL ` +
        `${round(Math.max(denylist.jti.maxTtlMs ?? 0, denylist.fid.maxTtlMs ?? 0) / 1000)} s`,
    },
  ];
  return invariants;
}
