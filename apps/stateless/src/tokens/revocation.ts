import type { RedisClient } from "@statelab/backend";
import { AppError, type Logger, queryOr503, ServiceUnavailableError, UnauthenticatedError } from "@statelab/http";
import type pg from "pg";
import { bearerChallenge } from "../challenge.js";
import type { AccessClaims } from "./access-token.js";

export interface RevocationOptions {
  mode: "denylist" | "none";
  redis: RedisClient;
  pool: pg.Pool;
  prefix: string;
  accessTtlSeconds: number;
  clockToleranceSeconds: number;
  /** Denylist unreachable: accept (true) or 503 (false). */
  failOpen: boolean;
  logger: Logger;
}

const revoked = (message: string) =>
  new UnauthenticatedError("token_invalid", {
    message,
    headers: bearerChallenge("invalid_token", message),
  });

/**
 * Writes a user's epoch into the cache only if it is higher than what is there. Epochs only
 * ever grow, so the highest is the truth: a cache fill that read Postgres before a
 * logout-all and writes after that logout-all's write-through can no longer put the old
 * epoch back (J8), and two logout-alls finishing out of order leave the later one. The
 * TTL is renewed only with a write, so an entry lives at most one access-token lifetime
 * past the raise that wrote it, after which every token of an older epoch has expired.
 */
const RAISE_EPOCH = `
local cached = tonumber(redis.call('GET', KEYS[1]))
if cached and cached >= tonumber(ARGV[1]) then return cached end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return tonumber(ARGV[1])
`;

/**
 * What makes an access token die before its exp (REVOCATION=denylist): its
 * jti, its device (refresh family) or the user's token epoch, all as soft
 * state in Redis that expires with the tokens it can affect. One MGET per
 * request. REVOCATION=none checks nothing: a logged-out access token works
 * until it expires, which the lab measures.
 */
export function createRevocation(options: RevocationOptions) {
  const { redis, pool, prefix, mode } = options;
  const ttlMs = (options.accessTtlSeconds + options.clockToleranceSeconds) * 1000;
  const denyKey = (jti: string) => `${prefix}deny:jti:${jti}`;
  const familyKey = (fid: string) => `${prefix}deny:fid:${fid}`;
  const epochKey = (sub: string) => `${prefix}epoch:${sub}`;

  const query = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => queryOr503<R>(pool, text, values);

  /**
   * A revocation written to Redis. It fails closed even with DENYLIST_FAIL_OPEN, which
   * only lets reads through: a logout that could not be recorded must not answer 204.
   */
  async function write(operation: Promise<unknown>): Promise<void> {
    try {
      await operation;
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new ServiceUnavailableError("store_unavailable", error);
    }
  }

  /** The cache's epoch after writing `epoch` where it is higher than the cached one. */
  const cacheEpoch = async (userId: string, epoch: number) =>
    Number(await redis.eval(RAISE_EPOCH, { keys: [epochKey(userId)], arguments: [String(epoch), String(ttlMs)] }));

  async function epochFromDb(userId: string): Promise<number> {
    const { rows } = await query<{ epoch: number }>("SELECT epoch FROM token_epochs WHERE user_id = $1", [userId]);
    return rows[0]?.epoch ?? 0;
  }

  return {
    mode,

    /** Throws 401 when the token was revoked; 503 (or passes, when failing open) when Redis cannot say. */
    async check(claims: AccessClaims): Promise<void> {
      if (mode === "none") return;
      let values: (string | null)[];
      try {
        values = await redis.mGet([denyKey(claims.jti), familyKey(claims.fid), epochKey(claims.sub)]);
      } catch (error) {
        if (options.failOpen) {
          options.logger.warn({ err: error }, "denylist unreachable: failing open (DENYLIST_FAIL_OPEN)");
          return;
        }
        throw new ServiceUnavailableError("store_unavailable", error);
      }
      const [denied, familyDenied, cachedEpoch] = values;
      if (denied) throw revoked("revoked");
      if (familyDenied) throw revoked("this device was logged out");
      let epoch = cachedEpoch === null || cachedEpoch === undefined ? null : Number(cachedEpoch);
      if (epoch === null) {
        const fromDb = await epochFromDb(claims.sub);
        // A logout-all may have written a newer epoch since the read: judge by whichever is higher.
        epoch = await cacheEpoch(claims.sub, fromDb).catch(() => fromDb);
      }
      if (claims.ep < epoch) throw revoked("logged out everywhere");
    },

    /** The user's current epoch, for new tokens. */
    currentEpoch: epochFromDb,

    /** Denylists one token until it would have expired anyway. */
    async denyToken(claims: AccessClaims): Promise<void> {
      if (mode === "none") return;
      const remainingMs = claims.exp * 1000 - Date.now() + options.clockToleranceSeconds * 1000;
      if (remainingMs > 0)
        await write(redis.set(denyKey(claims.jti), "1", { expiration: { type: "PX", value: remainingMs } }));
    },

    /** Denylists every access token of one device for the longest an access token can live. */
    async denyFamily(fid: string): Promise<void> {
      if (mode === "none") return;
      await write(redis.set(familyKey(fid), "1", { expiration: { type: "PX", value: ttlMs } }));
    },

    /** logout-all: every token issued before now stops working (write-through to Redis). */
    async raiseEpoch(userId: string): Promise<void> {
      const { rows } = await query<{ epoch: number }>(
        `INSERT INTO token_epochs (user_id, epoch) VALUES ($1, 1)
         ON CONFLICT (user_id) DO UPDATE SET epoch = token_epochs.epoch + 1 RETURNING epoch`,
        [userId],
      );
      if (mode === "none") return;
      await write(cacheEpoch(userId, rows[0]?.epoch ?? 1));
    },
  };
}

export type Revocation = ReturnType<typeof createRevocation>;
