import { createHmac } from "node:crypto";
import type { Request, Response } from "express";
import { readCookie, safeEqual } from "./cookies.js";
import type { AuthContext } from "./session-data.js";
import { hashSessionId } from "./session-store.js";

export const CACHE_COOKIE = "sl_cache";

interface Snapshot {
  /** user id */
  u: string;
  /** session handle */
  h: string;
  /** hash of the session id: the snapshot is only good next to that session's cookie */
  s: string;
  /** snapshot expiry, epoch ms */
  e: number;
  /** session expiry, epoch ms, or 0 for hard state */
  x: number;
}

/**
 * SESSION_CACHE: a signed cookie carries a snapshot of the session for a few
 * seconds, so reads skip Redis. The price is exact: a logout on another device
 * takes effect here only when the snapshot expires, never later (Better Auth's
 * cookie cache). Only GET/HEAD use it; every write still goes to the store.
 */
export function createSessionCache(options: { secret: string; ttlSeconds: number; secure: boolean }) {
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 1) {
    throw new TypeError("createSessionCache: ttlSeconds must be a positive integer");
  }
  const mac = (payload: string) =>
    createHmac("sha256", `${options.secret}:session-cache`).update(payload).digest("base64url");
  const cookieOptions = { httpOnly: true, sameSite: "lax" as const, secure: options.secure, path: "/" };

  return {
    /** Writes a fresh snapshot for this session. */
    issue(res: Response, sid: string, auth: AuthContext): void {
      const now = Date.now();
      const sessionEnd = auth.expiresAt?.getTime() ?? 0;
      const expires = Math.min(now + options.ttlSeconds * 1000, sessionEnd || Number.POSITIVE_INFINITY);
      const snapshot: Snapshot = {
        u: auth.userId,
        h: auth.handle ?? "",
        s: hashSessionId(sid),
        e: expires,
        x: sessionEnd,
      };
      const payload = Buffer.from(JSON.stringify(snapshot)).toString("base64url");
      res.cookie(CACHE_COOKIE, `${payload}.${mac(payload)}`, { ...cookieOptions, expires: new Date(expires) });
    },

    /** The snapshot's auth when it is authentic, unexpired and bound to the presented session id. */
    read(req: Request, sid: string | null): AuthContext | null {
      const value = readCookie(req.headers.cookie, CACHE_COOKIE);
      if (!value || !sid) return null;
      const dot = value.lastIndexOf(".");
      const payload = value.slice(0, dot);
      if (dot < 1 || !safeEqual(value.slice(dot + 1), mac(payload))) return null;
      let snapshot: Snapshot;
      try {
        snapshot = JSON.parse(Buffer.from(payload, "base64url").toString()) as Snapshot;
      } catch {
        return null;
      }
      if (snapshot.e <= Date.now() || snapshot.s !== hashSessionId(sid)) return null;
      return {
        userId: snapshot.u,
        handle: snapshot.h || null,
        expiresAt: snapshot.x ? new Date(snapshot.x) : null,
        source: "cache",
      };
    },

    clear(res: Response): void {
      res.clearCookie(CACHE_COOKIE, cookieOptions);
    },
  };
}

export type SessionCache = ReturnType<typeof createSessionCache>;
