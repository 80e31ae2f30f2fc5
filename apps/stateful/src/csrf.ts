import { ForbiddenError } from "@statelab/http";
import type { RequestHandler } from "express";
import { safeEqual } from "./cookies.js";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * First CSRF layer, on every state-changing request including login (login
 * CSRF): a browser that says the request is cross-site, or sends a foreign
 * Origin, is refused. Clients that send no Origin (curl, servers) pass on to
 * the token check.
 */
export function rejectCrossSite(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return function rejectCrossSite(req, _res, next) {
    if (SAFE.has(req.method)) return next();
    if (req.get("sec-fetch-site") === "cross-site")
      return next(new ForbiddenError("csrf_failed", "cross-site request refused"));
    const origin = req.get("origin");
    if (origin === undefined || allowed.has(origin) || sameHost(origin, req.get("host"))) return next();
    next(new ForbiddenError("csrf_failed", "cross-origin request refused"));
  };
}

/**
 * Second layer: a synchronizer token. Login returns a random token kept in the
 * server-side session; every write must echo it in X-CSRF-Token. Chosen over
 * double-submit because the session is server-side anyway, and a token bound
 * to the session cannot be planted by a sibling subdomain (cookie tossing).
 */
export function requireCsrfToken(expected: (req: Parameters<RequestHandler>[0]) => string | undefined): RequestHandler {
  return function requireCsrfToken(req, _res, next) {
    if (SAFE.has(req.method)) return next();
    const token = expected(req);
    const presented = req.get("x-csrf-token");
    if (!token || !presented || !safeEqual(presented, token)) {
      return next(new ForbiddenError("csrf_failed", "missing or wrong X-CSRF-Token"));
    }
    next();
  };
}
