import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { defineScenario, type ScenarioContext } from "../../compare/scenario.js";
import type { Stack, StackSpec } from "../../stack/stack.js";
import { LabUser, mapLimit } from "../../stack/users.js";
import { keyStats, type LabRedisClient, liveKeys, withRedis } from "../lab-redis.js";
import {
  type DenylistObservation,
  type ExpiryObservations,
  expiryInvariants,
  type KeyCounts,
  measureExpiry,
  type StateVariant,
} from "./expiry-report.js";

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

async function measureDenylist(
  ctx: ScenarioContext,
  redis: LabRedisClient,
  logouts: number,
): Promise<DenylistObservation> {
  const stack = await ctx.stack(STATELESS);
  const prefix = ctx.prefixOf(stack);
  const users = await ctx.users(stack, logouts);
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

/**
 * Scenario: what abandoned logins leave behind. Soft state (a TTL on every
 * session key) cleans up by itself; hard state keeps every session nobody
 * logged out of. Also what one session and one denylist entry cost in Redis.
 */
export const expiry = defineScenario({
  id: "expiry",
  title: "Expiry: soft state vs hard state, and what a session costs in Redis",
  question: "How many sessions of abandoned logins are still in Redis after the TTL, and how many bytes is each?",
  timing: {
    quick: { estimateSeconds: 15, abandoned: 20, ttlSeconds: 2, logouts: 10 },
    full: { estimateSeconds: 40, abandoned: 100, ttlSeconds: 8, logouts: 30 },
  },
  async run(ctx, { abandoned, ttlSeconds, logouts }): Promise<ExpiryObservations> {
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
        const denylist = await measureDenylist(ctx, redis, logouts);
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
  measure: measureExpiry,
  invariants: expiryInvariants,
});
