import { ServiceUnavailableError, UnauthenticatedError } from "@statelab/http";
import type { Request, RequestHandler, Response } from "express";
import session, { type SessionData, type Store } from "express-session";
import type { StatefulConfig } from "./config.js";
import type { ConnectionBinding } from "./connection-binding.js";
import { readCookie, unsignSessionCookie } from "./cookies.js";
import { requireCsrfToken } from "./csrf.js";
import type { SessionCache } from "./session-cache.js";
import type { AuthContext } from "./session-data.js";
import { HashedRedisStore } from "./session-store.js";

export const SESSION_COOKIE = "sl_sid";
/**
 * The name with COOKIE_SECURE=true. Browsers accept a `__Host-` cookie only if it is
 * Secure, Path=/ and has no Domain, so a sibling subdomain or a plain-http page cannot
 * plant or overwrite it (S2).
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/** The session cookie's name for this configuration. */
export const sessionCookieName = (config: Pick<StatefulConfig, "cookieSecure">): string =>
  config.cookieSecure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;

export interface SessionTimeouts {
  /** null for hard state: no TTL until logout. */
  idleMs: number | null;
  absoluteMs: number | null;
  /**
   * The idle TTL is pushed forward only when this much of it has been used, so
   * most requests cost one Redis GET and no write. The idle timeout is exact to
   * within this margin (a session may end up to this much early, never late).
   */
  refreshMarginMs: number;
}

export function sessionTimeouts(
  config: Pick<StatefulConfig, "sessionState" | "sessionTtlSeconds" | "sessionAbsoluteTtlSeconds">,
): SessionTimeouts {
  if (config.sessionState === "hard") return { idleMs: null, absoluteMs: null, refreshMarginMs: 0 };
  const idleMs = config.sessionTtlSeconds * 1000;
  return {
    idleMs,
    absoluteMs: config.sessionAbsoluteTtlSeconds * 1000,
    refreshMarginMs: Math.min(60_000, Math.floor(idleMs / 10)),
  };
}

/** Milliseconds the stored session may still live: the idle TTL, capped by the absolute deadline. */
export function remainingTtlMs(
  data: Pick<SessionData, "createdAt">,
  timeouts: SessionTimeouts,
  now = Date.now(),
): number | null {
  if (timeouts.idleMs === null || timeouts.absoluteMs === null) return null;
  return Math.min(timeouts.idleMs, data.createdAt + timeouts.absoluteMs - now);
}

export interface SessionAuthOptions {
  config: StatefulConfig;
  secret: string;
  store: Store;
  cache: SessionCache | null;
  binding: ConnectionBinding | null;
}

export function cookieOptions(config: StatefulConfig) {
  // HttpOnly: no script reads it. SameSite=Lax: not sent on cross-site POSTs. No Domain: host-only (S2).
  return { httpOnly: true, sameSite: "lax" as const, secure: config.cookieSecure, path: "/" };
}

/** The middleware chain in front of every authenticated route, and the login's session loader. */
export function createSessionAuth(options: SessionAuthOptions) {
  const { config, secret, cache, binding } = options;
  const timeouts = sessionTimeouts(config);
  const cookieName = sessionCookieName(config);
  const hashedStore = options.store instanceof HashedRedisStore ? options.store : null;

  const expressSession = session({
    name: cookieName,
    secret,
    store: options.store,
    // Save only what changed, and never an anonymous session: no Redis writes for visitors.
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: { ...cookieOptions(config), ...(timeouts.idleMs === null ? {} : { maxAge: timeouts.idleMs }) },
  });

  /** express-session, with a store failure turned into 503 store_unavailable instead of a 500. */
  const loadSession: RequestHandler = function loadSession(req, res, next) {
    if (req.auth) return next();
    expressSession(req, res, (error?: unknown) =>
      next(error ? new ServiceUnavailableError("store_unavailable", error) : undefined),
    );
  };

  const presentedSessionId = (req: Request) => unsignSessionCookie(readCookie(req.headers.cookie, cookieName), secret);

  /** INSECURE mode and the cookie cache decide before the store is asked. */
  const fromConnectionOrCache: RequestHandler = function fromConnectionOrCache(req, _res, next) {
    const hasSessionCookie = readCookie(req.headers.cookie, cookieName) !== undefined;
    const bound = binding && !hasSessionCookie ? binding.lookup(req) : undefined;
    if (bound) {
      req.auth = { userId: bound.userId, handle: null, expiresAt: null, source: "connection" };
    } else if (cache && (req.method === "GET" || req.method === "HEAD")) {
      req.auth = cache.read(req, presentedSessionId(req)) ?? undefined;
    }
    next();
  };

  const isPastAbsolute = (data: SessionData, now: number) =>
    timeouts.absoluteMs !== null && now >= data.createdAt + timeouts.absoluteMs;
  const isRefreshDue = (data: SessionData, now: number) =>
    timeouts.idleMs !== null && now - data.refreshedAt >= timeouts.refreshMarginMs;
  const authOf = (data: SessionData, now: number): AuthContext => {
    const ttl = remainingTtlMs(data, timeouts, now);
    const expiresAt = ttl === null ? null : new Date(Math.min(data.refreshedAt + (timeouts.idleMs ?? 0), now + ttl));
    return { userId: data.userId, handle: data.handle ?? null, expiresAt, source: "session" };
  };
  const isComplete = (data: Partial<SessionData> | null | undefined): data is SessionData =>
    !!data?.userId && data.createdAt !== undefined && data.refreshedAt !== undefined;

  /**
   * GET and HEAD with a session that needs no write (not due for an idle-TTL push, not past its
   * absolute lifetime) are authenticated from the stored data directly: for them express-session
   * would build a session object, hash it four times and hook the response, all to find that
   * there is nothing to save and no cookie to set. Every other case goes on to express-session,
   * handed the data just read, so each request still reads the store once.
   */
  const fromStore: RequestHandler = async function fromStore(req, res, next) {
    if (req.auth || !hashedStore || (req.method !== "GET" && req.method !== "HEAD")) return loadSession(req, res, next);
    const sid = presentedSessionId(req);
    if (sid === null) return loadSession(req, res, next);
    let data: SessionData | null;
    try {
      data = await hashedStore.read(sid);
    } catch (error) {
      return next(new ServiceUnavailableError("store_unavailable", error));
    }
    const now = Date.now();
    if (!isComplete(data) || isPastAbsolute(data, now) || isRefreshDue(data, now)) {
      return hashedStore.handOver(sid, data, () => loadSession(req, res, next));
    }
    req.auth = authOf(data, now);
    if (cache && req.method === "GET") cache.issue(res, sid, req.auth);
    next();
  };

  const fromSession: RequestHandler = async function fromSession(req, res, next) {
    const data = req.session as (typeof req.session & Partial<SessionData>) | undefined;
    if (req.auth || !data || !isComplete(data)) return next();
    const now = Date.now();
    if (isPastAbsolute(data, now)) {
      await new Promise<void>((resolve) => data.destroy(() => resolve()));
      return next(
        new UnauthenticatedError("session_expired", { message: "the session reached its absolute lifetime" }),
      );
    }
    if (isRefreshDue(data, now)) {
      // Modifying the session makes express-session save it (SET XX PX) after the response.
      data.refreshedAt = now;
      data.cookie.maxAge = remainingTtlMs({ createdAt: data.createdAt }, timeouts, now) ?? undefined;
    }
    req.auth = authOf(data, now);
    if (cache && req.method === "GET") cache.issue(res, req.sessionID, req.auth);
    next();
  };

  const requireAuth: RequestHandler = function requireAuth(req, res, next) {
    if (req.auth) return next();
    if (presentedSessionId(req) !== null) {
      // Our signature, but no live session behind it: it expired or was logged out.
      res.clearCookie(cookieName, cookieOptions(config));
      return next(new UnauthenticatedError("session_expired", { message: "the session has ended; log in again" }));
    }
    next(new UnauthenticatedError("unauthenticated", { message: "log in first" }));
  };

  const csrfToken = requireCsrfToken((req) =>
    req.auth?.source === "connection"
      ? binding?.lookup(req)?.csrfToken
      : (req.session as Partial<SessionData> | undefined)?.csrfToken,
  );

  return {
    timeouts,
    loadSession,
    /** Put in front of every route that needs a logged-in user. */
    authenticated: [
      ...(binding || cache ? [fromConnectionOrCache] : []),
      fromStore,
      fromSession,
      requireAuth,
      csrfToken,
    ] as RequestHandler[],
  };
}

/** Ends the current session's cookie(s) on this client. */
export function clearSessionCookies(res: Response, config: StatefulConfig, cache: SessionCache | null): void {
  res.clearCookie(sessionCookieName(config), cookieOptions(config));
  cache?.clear(res);
}

export type { AuthContext };
