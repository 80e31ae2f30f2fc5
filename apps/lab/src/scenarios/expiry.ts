import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { BarChart, Cell, Invariant } from "../results.js";
import { defineScenario, type ScenarioContext, type StackSpec } from "../scenario.js";
import type { Stack } from "../topology.js";
import { LabUser, mapLimit } from "../users.js";
import { type KeyStats, keyStats, type LabRedisClient, liveKeys, withRedis } from "./lab-redis.js";
import { round, seconds } from "./util.js";

/** Keys under one stack's prefix, by what they are (apps/stateful: session-store.ts, session-index.ts). */
interface KeyCounts {
  /** `<prefix>sess:<sha256(id)>`: one per session. */
  sessions: number;
  /** `<prefix>user-sessions:<userId>`: the per-user session index. */
  indexes: number;
  other: number;
}

interface StateVariant {
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

interface DenylistObservation {
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

const SLACK_MS = 1500;
const STATELESS: StackSpec = { app: "stateless", label: "stateless" };

function classify(prefix: string, keys: readonly string[]) {
  const sessions = keys.filter((key) => key.startsWith(`${prefix}sess:`));
  const indexes = keys.filter((key) => key.startsWith(`${prefix}user-sessions:`));
  const counts: KeyCounts = {
    sessions: sessions.length,
    indexes: indexes.length,
    other: keys.length - sessions.length - indexes.length,
  };
  return { sessions, indexes, counts };
}

/** Logs each user in once and walks away: no request, no logout. */
async function abandonLogins(stack: Stack, users: readonly LabUser[]) {
  let failures = 0;
  const started = performance.now();
  await mapLimit(users, 4, async (user) => {
    try {
      await user.login(stack.url);
    } catch {
      failures++;
    }
  });
  return { failures, spanMs: performance.now() - started, lastLoginAt: performance.now() };
}

async function snapshot(redis: LabRedisClient, prefix: string) {
  const { sessions, indexes, counts } = classify(prefix, await liveKeys(redis, `${prefix}*`));
  return { counts, sessionKeys: await keyStats(redis, sessions), indexKeys: await keyStats(redis, indexes) };
}

/** The jti and family of an access token (no verification: only to name its denylist keys). */
function claimsOf(token: string | null): { jti: string; fid: string } | null {
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { jti?: unknown; fid?: unknown };
    return typeof claims.jti === "string" && typeof claims.fid === "string"
      ? { jti: claims.jti, fid: claims.fid }
      : null;
  } catch {
    return null;
  }
}

async function measureDenylist(ctx: ScenarioContext, redis: LabRedisClient): Promise<DenylistObservation> {
  const stack = await ctx.stack(STATELESS);
  const prefix = ctx.prefixOf(stack);
  const users = await ctx.users(stack, ctx.quick ? 10 : 30);
  const jtiKeys = new Set<string>();
  const fidKeys = new Set<string>();
  let failures = 0;
  await mapLimit(users, 4, async (user) => {
    const claims = claimsOf(user.accessToken);
    const reply = await user.call(stack.url, "POST", "/auth/logout");
    if (reply.status !== 204 || !claims) {
      failures++;
      return;
    }
    jtiKeys.add(`${prefix}deny:jti:${claims.jti}`);
    fidKeys.add(`${prefix}deny:fid:${claims.fid}`);
  });
  const found = await liveKeys(redis, `${prefix}deny:*`);
  return {
    label: "stateless, REVOCATION=denylist",
    accessTtlSeconds: 300,
    logouts: users.length - failures,
    logoutFailures: failures,
    jti: await keyStats(
      redis,
      found.filter((key) => jtiKeys.has(key)),
    ),
    fid: await keyStats(
      redis,
      found.filter((key) => fidKeys.has(key)),
    ),
    foreign: found.filter((key) => !jtiKeys.has(key) && !fidKeys.has(key)).length,
  };
}

/** A TTL as a reader takes it in: 548 ms, 2.0 s, 5.1 min, 8.0 h. */
export function duration(ms: number): string {
  if (ms < 120_000) return seconds(ms);
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

/**
 * Scenario: what abandoned logins leave behind. Soft state (a TTL on every
 * session key) cleans up by itself; hard state keeps every session nobody
 * logged out of. Also what one session and one denylist entry cost in Redis.
 */
export const expiry = defineScenario<ExpiryObservations>({
  id: "expiry",
  title: "Expiry: soft state vs hard state, and what a session costs in Redis",
  question: "How many sessions of abandoned logins are still in Redis after the TTL, and how many bytes is each?",
  estimateSeconds: (quick) => (quick ? 15 : 40),
  async run(ctx) {
    const abandoned = ctx.quick ? 20 : 100;
    const ttlSeconds = ctx.quick ? 2 : 8;
    // One instance each: expiry is Redis's business, routing plays no part.
    const softSpec: StackSpec = {
      app: "stateful",
      label: "sf-soft",
      count: 1,
      env: { SESSION_STATE: "soft", SESSION_TTL: String(ttlSeconds) },
      fresh: true,
    };
    const hardSpec: StackSpec = {
      app: "stateful",
      label: "sf-hard",
      count: 1,
      env: { SESSION_STATE: "hard" },
      fresh: true,
    };
    const [soft, hard] = await Promise.all([ctx.stack(softSpec), ctx.stack(hardSpec), ctx.stack(STATELESS)]);
    const softPrefix = ctx.prefixOf(soft);
    const hardPrefix = ctx.prefixOf(hard);

    return withRedis(ctx.shared.redisUrl, async (redis) => {
      try {
        // Sign up first, so the login burst (the TTL's clock) is as short as it can be.
        const run = randomBytes(3).toString("hex");
        const names = Array.from({ length: abandoned }, (_, i) => `exp_${run}_${i}`);
        await mapLimit(names, 4, async (name) => {
          const reply = await new LabUser("cookie", name, "lab-password-1").signup(soft.url);
          if (reply.status !== 201) throw new Error(`signup of ${name} failed: ${reply.status} ${reply.code}`);
        });
        const bar = ctx.progress("abandoned logins (soft, hard)", 2 * abandoned);
        const softLogins = await abandonLogins(
          soft,
          names.map((name) => new LabUser("cookie", name, "lab-password-1")),
        );
        const softAfter = await snapshot(redis, softPrefix);
        bar.update(abandoned);
        const hardLogins = await abandonLogins(
          hard,
          names.map((name) => new LabUser("cookie", name, "lab-password-1")),
        );
        const hardAfter = await snapshot(redis, hardPrefix);
        bar.update(2 * abandoned);
        bar.done();

        // The denylist is measured while the soft sessions' TTL runs down.
        const denylist = await measureDenylist(ctx, redis);
        const wakeAt = softLogins.lastLoginAt + ttlSeconds * 1000 + SLACK_MS;
        await ctx.sleep(Math.max(0, wakeAt - performance.now()));
        const softLater = classify(softPrefix, await liveKeys(redis, `${softPrefix}*`)).counts;
        const softWaited = performance.now() - softLogins.lastLoginAt;
        const hardLater = classify(hardPrefix, await liveKeys(redis, `${hardPrefix}*`)).counts;
        const hardWaited = performance.now() - hardLogins.lastLoginAt;

        const variant = (
          label: string,
          state: "soft" | "hard",
          logins: typeof softLogins,
          after: typeof softAfter,
          later: KeyCounts,
          waitedMs: number,
        ): StateVariant => ({
          label,
          state,
          ttlSeconds: state === "soft" ? ttlSeconds : null,
          logins: abandoned - logins.failures,
          loginFailures: logins.failures,
          loginSpanMs: Math.round(logins.spanMs),
          waitedMs: Math.round(waitedMs),
          afterLogin: after.counts,
          afterWait: later,
          sessionKeys: after.sessionKeys,
          indexKeys: after.indexKeys,
        });
        return {
          abandoned,
          slackMs: SLACK_MS,
          variants: [
            variant(`soft state, SESSION_TTL=${ttlSeconds} s`, "soft", softLogins, softAfter, softLater, softWaited),
            variant("hard state (no TTL)", "hard", hardLogins, hardAfter, hardLater, hardWaited),
          ],
          denylist,
        };
      } finally {
        // Hard-state keys never expire: without this, every run would leave its orphans in the lab's Redis.
        for (const prefix of [softPrefix, hardPrefix]) {
          const keys = await liveKeys(redis, `${prefix}*`);
          if (keys.length > 0) await redis.unlink(keys);
        }
      }
    });
  },

  measure({ abandoned, slackMs, variants, denylist }) {
    const soft = variants.find((v) => v.state === "soft");
    const hard = variants.find((v) => v.state === "hard");
    const chart: BarChart = {
      kind: "bar",
      title: `Keys left in Redis after TTL + ${seconds(slackMs)} (${abandoned} abandoned logins)`,
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
          `${seconds(soft.waitedMs)} after the last login` +
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
            seconds(v.waitedMs),
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
  },

  invariants({ abandoned, variants, denylist }) {
    const soft = variants.find((v) => v.state === "soft");
    const hard = variants.find((v) => v.state === "hard");
    const invariants: Invariant[] = [
      {
        name: "soft expiry leaves 0 orphans",
        holds: !!soft && soft.afterLogin.sessions > 0 && soft.afterWait.sessions === 0,
        detail: soft
          ? `${soft.afterWait.sessions} session keys left ${seconds(soft.waitedMs)} after the last of ${soft.logins} logins ` +
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
  },
});
