import express, { type RequestHandler } from "express";
import { UnsupportedMediaTypeError } from "./errors.js";

const WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A request carries a body when it says so (Content-Length > 0 or Transfer-Encoding). */
function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return headers["transfer-encoding"] !== undefined || Number(headers["content-length"] ?? 0) > 0;
}

/**
 * JSON bodies only, UTF-8 only, capped. A body of any other type is a 415
 * before it is read; the parser's own errors (too large, malformed, bad
 * charset) are mapped to JSON errors by the error middleware.
 */
export function jsonBody(options: { limitBytes: number }): RequestHandler[] {
  if (!Number.isInteger(options.limitBytes) || options.limitBytes <= 0) {
    throw new TypeError("jsonBody: limitBytes must be a positive integer");
  }
  const requireJson: RequestHandler = function requireJson(req, _res, next) {
    if (!WITH_BODY.has(req.method) || !hasBody(req.headers)) return next();
    const type = req.headers["content-type"];
    if (!type || !req.is("application/json")) return next(new UnsupportedMediaTypeError());
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== "utf-8") return next(new UnsupportedMediaTypeError());
    next();
  };
  const parse = express.json({
    limit: options.limitBytes,
    // Only objects and arrays: a bare "string" or 42 is rejected while parsing.
    strict: true,
    // Compressed bodies are refused (415), so a small zip cannot inflate past the limit.
    inflate: false,
    type: "application/json",
  });
  return [requireJson, parse];
}
