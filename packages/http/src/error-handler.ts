import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import {
  AppError,
  MalformedJsonError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "./errors.js";

/** body-parser's errors carry a `type`; translate them at the edge. */
function fromBodyParser(error: { type?: unknown; status?: unknown; limit?: unknown }): AppError | null {
  switch (error.type) {
    case "entity.too.large":
      return new PayloadTooLargeError(typeof error.limit === "number" ? error.limit : undefined);
    case "entity.parse.failed":
      return new MalformedJsonError(error);
    case "charset.unsupported":
    case "encoding.unsupported":
      return new UnsupportedMediaTypeError();
    case "request.aborted":
    case "request.size.invalid":
    case "stream.encoding.set":
    case "stream.not.readable":
      return new ValidationError("the request body could not be read");
    default:
      return null;
  }
}

export function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  // Express's router marks an undecodable path parameter (`/items/%ZZ`) as a URIError with status 400.
  if (error instanceof URIError && (error as { status?: unknown }).status === 400) {
    return new ValidationError("the URL could not be decoded");
  }
  if (error && typeof error === "object" && "type" in error) return fromBodyParser(error);
  return null;
}

export const notFound: RequestHandler = function notFound(_req, _res, next) {
  next(new NotFoundError());
};

/**
 * The one place errors become responses: an AppError becomes its JSON shape;
 * anything else is logged and becomes a bare 500 with no stack or message.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return function errorHandler(error, req, res, _next) {
    const appError = toAppError(error);
    if (res.headersSent) {
      // e.g. express-session's save at res.end failed: the answer went out; cut it only if unfinished.
      logger.error({ err: error, reqId: req.id }, "error after the response started");
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (!appError) {
      logger.error({ err: error, reqId: req.id }, "unhandled error");
      res.status(500).json({ error: { code: "internal", message: "internal error" } });
      return;
    }
    if (appError.status >= 500) logger.warn({ err: appError, cause: appError.cause, reqId: req.id }, appError.message);
    res.set(appError.headers);
    const body: Record<string, unknown> = { code: appError.code, message: appError.message };
    if (appError.details !== undefined) body.details = appError.details;
    res.status(appError.status).json({ error: body });
  };
}
