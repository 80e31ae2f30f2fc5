import { createHash, randomBytes } from "node:crypto";
import { isConnectionError, queryOr503, ServiceUnavailableError, UnauthenticatedError } from "@statelab/http";
import type pg from "pg";

/** This app's tables, migrated under the "stateless" namespace. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const hashOf = (token: string) => createHash("sha256").update(token).digest();
const newToken = () => randomBytes(32).toString("base64url");

export interface Family {
  handle: string;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent: string;
}

export interface Rotated {
  userId: string;
  familyId: string;
  refreshToken: string;
}

const refreshError = (code: "token_invalid" | "token_expired", message: string) =>
  new UnauthenticatedError(code, { message });

/** A spent refresh token came back: its family (device) is now revoked. */
export class RefreshReusedError extends UnauthenticatedError {
  constructor(readonly familyId: string) {
    super("refresh_reused", { message: "refresh token reused: this device was logged out" });
  }
}

type Outcome = { rotated: Rotated } | { error: UnauthenticatedError };

/**
 * Opaque refresh tokens (256 random bits) in families, one family per login
 * (a device). Each use rotates: the old token is spent, a new one issued.
 * Presenting a spent token means it was copied: the whole family is revoked,
 * unless it was spent less than `graceSeconds` ago (default 0: never).
 */
export function createRefreshStore(options: {
  pool: pg.Pool;
  ttlSeconds: number;
  absoluteTtlSeconds: number;
  graceSeconds?: number;
}) {
  const { pool } = options;
  const graceSeconds = options.graceSeconds ?? 0;
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > 60)
    throw new TypeError(`graceSeconds must be an integer from 0 to 60, got ${graceSeconds}`);

  async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw new ServiceUnavailableError("db_unavailable", error);
    }
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      client.release();
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      client.release(isConnectionError(error));
      if (isConnectionError(error)) throw new ServiceUnavailableError("db_unavailable", error);
      throw error;
    }
  }

  const query = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => queryOr503<R>(pool, text, values);

  const insertToken = async (client: pg.PoolClient, familyId: string) => {
    const token = newToken();
    await client.query(
      `INSERT INTO refresh_tokens (token_hash, family_id, expires_at)
       SELECT $1, id, LEAST(now() + make_interval(secs => $3), absolute_expires_at) FROM refresh_families WHERE id = $2`,
      [hashOf(token), familyId, options.ttlSeconds],
    );
    return token;
  };

  /**
   * The grace window (REFRESH_GRACE): a spent token presented again less than
   * `graceSeconds` after it was spent is taken for a benign race — two tabs
   * refreshing with one token at once — and gets a new token in the same
   * family; nothing is revoked. The family then holds one live token per
   * racer, each rotating on its own. The trade-off: a thief who replays a
   * stolen token inside the window is served like a racing tab and not
   * detected (RFC 9700 reuse detection only starts after the window), so the
   * window is off by default and capped at a minute. It never slides: it is
   * counted from the first spend (`used_at`, set once, by the database's clock
   * like every other time here), so replaying the same token cannot stretch it.
   * Returns null when the window does not apply and the caller's reuse path runs.
   */
  async function reissueInGrace(client: pg.PoolClient, token: string): Promise<Outcome | null> {
    // Locking the family row serialises this with revoke/revokeAll/reuse, which update that
    // row: a family revoked before we get the lock fails the re-checked WHERE (read committed),
    // so no token is ever added to a revoked family.
    const racing = await client.query<{ family_id: string; user_id: string; expired: boolean }>(
      `SELECT t.family_id, f.user_id, (t.expires_at <= now() OR f.absolute_expires_at <= now()) AS expired
       FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
       WHERE t.token_hash = $1 AND t.used_at > now() - make_interval(secs => $2) AND f.revoked_at IS NULL
       FOR NO KEY UPDATE OF f`,
      [hashOf(token), graceSeconds],
    );
    const row = racing.rows[0];
    if (!row) return null;
    // The window forgives only the double spend, never a lifetime: an expired token stays expired.
    if (row.expired) return { error: refreshError("token_expired", "the refresh token expired; log in again") };
    await client.query("UPDATE refresh_families SET last_used_at = now() WHERE id = $1", [row.family_id]);
    return {
      rotated: { userId: row.user_id, familyId: row.family_id, refreshToken: await insertToken(client, row.family_id) },
    };
  }

  return {
    /** A new family (login on a new device) with its first refresh token. */
    start: (userId: string, userAgent: string): Promise<Rotated> =>
      transaction(async (client) => {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO refresh_families (user_id, absolute_expires_at, user_agent)
           VALUES ($1, now() + make_interval(secs => $2), $3) RETURNING id`,
          [userId, options.absoluteTtlSeconds, userAgent.slice(0, 200)],
        );
        const familyId = (rows[0] as { id: string }).id;
        return { userId, familyId, refreshToken: await insertToken(client, familyId) };
      }),

    /**
     * Spends a refresh token and issues the next. Exactly one of two concurrent
     * uses wins: the conditional UPDATE takes the row lock and the loser finds
     * `used_at` set. A second use of a spent token revokes the family (theft),
     * unless it comes inside the grace window (see `reissueInGrace`).
     */
    async rotate(token: string): Promise<Rotated> {
      if (!TOKEN_FORMAT.test(token)) throw refreshError("token_invalid", "not a refresh token");
      const outcome = await transaction<Outcome>(async (client) => {
        const spent = await client.query<{ family_id: string; user_id: string; expired: boolean; revoked: boolean }>(
          `UPDATE refresh_tokens t SET used_at = now()
           FROM refresh_families f
           WHERE t.token_hash = $1 AND t.used_at IS NULL AND f.id = t.family_id
           RETURNING t.family_id, f.user_id, (t.expires_at <= now() OR f.absolute_expires_at <= now()) AS expired,
                     f.revoked_at IS NOT NULL AS revoked`,
          [hashOf(token)],
        );
        const row = spent.rows[0];
        if (row) {
          if (row.revoked) return { error: refreshError("token_invalid", "this device was logged out") };
          if (row.expired) return { error: refreshError("token_expired", "the refresh token expired; log in again") };
          await client.query("UPDATE refresh_families SET last_used_at = now() WHERE id = $1", [row.family_id]);
          return {
            rotated: {
              userId: row.user_id,
              familyId: row.family_id,
              refreshToken: await insertToken(client, row.family_id),
            },
          };
        }
        if (graceSeconds > 0) {
          const graced = await reissueInGrace(client, token);
          if (graced) return graced;
        }
        const reused = await client.query<{ family_id: string }>(
          `UPDATE refresh_families SET revoked_at = COALESCE(revoked_at, now()), revoked_reason = COALESCE(revoked_reason, 'reuse')
           WHERE id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) RETURNING id AS family_id`,
          [hashOf(token)],
        );
        if (reused.rows[0]) return { error: new RefreshReusedError(reused.rows[0].family_id) };
        return { error: refreshError("token_invalid", "unknown refresh token") };
      });
      if ("error" in outcome) throw outcome.error;
      return outcome.rotated;
    },

    /** Ends one family (a device); false when the user has no such live family. */
    async revoke(userId: string, familyId: string, reason = "logout"): Promise<boolean> {
      if (!UUID.test(familyId)) return false;
      const { rowCount } = await query(
        "UPDATE refresh_families SET revoked_at = now(), revoked_reason = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        [familyId, userId, reason],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Ends every family of the user; returns their ids. */
    async revokeAll(userId: string): Promise<string[]> {
      const { rows } = await query<{ id: string }>(
        "UPDATE refresh_families SET revoked_at = now(), revoked_reason = 'logout-all' WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
        [userId],
      );
      return rows.map((r) => r.id);
    },

    /** The user's live families: not revoked, inside the absolute and the idle lifetime. */
    async list(userId: string): Promise<Family[]> {
      const { rows } = await query<{ id: string; created_at: Date; last_used_at: Date; user_agent: string }>(
        `SELECT id, created_at, last_used_at, user_agent FROM refresh_families
         WHERE user_id = $1 AND revoked_at IS NULL AND absolute_expires_at > now()
           AND last_used_at > now() - make_interval(secs => $2)
         ORDER BY created_at`,
        [userId, options.ttlSeconds],
      );
      return rows.map((r) => ({
        handle: r.id,
        createdAt: r.created_at,
        lastSeenAt: r.last_used_at,
        userAgent: r.user_agent,
      }));
    },
  };
}

export type RefreshStore = ReturnType<typeof createRefreshStore>;
