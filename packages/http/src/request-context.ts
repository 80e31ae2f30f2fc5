import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import { MethodNotAllowedError } from "./errors.js";

/** Answers every response with the instance that served it, the lab's core observable. */
export function instanceIdHeader(instanceId: string): RequestHandler {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(instanceId)) {
    throw new TypeError(
      `instanceIdHeader: instance id must match [A-Za-z0-9._-]{1,64} (got ${JSON.stringify(instanceId)})`,
    );
  }
  return function instanceIdHeader(_req, res, next) {
    res.setHeader("X-Instance-Id", instanceId);
    next();
  };
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Keeps a well-formed incoming X-Request-Id (e.g. the proxy's); never reflects anything else into a header. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === "string" && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

const KNOWN_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const KNOWN = new Set<string>(KNOWN_METHODS);

/** TRACE, CONNECT and the rest are never used: 405 before any route runs. */
export const rejectUnusedMethods: RequestHandler = function rejectUnusedMethods(req, _res, next) {
  next(KNOWN.has(req.method) ? undefined : new MethodNotAllowedError(KNOWN_METHODS));
};

/** For `router.route(path).get(...).all(methodNotAllowed(["GET"]))`: a 405 with an Allow header. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const error = new MethodNotAllowedError(allowed.includes("GET") ? [...allowed, "HEAD"] : allowed);
  return function methodNotAllowed(_req, _res, next) {
    next(error);
  };
}
