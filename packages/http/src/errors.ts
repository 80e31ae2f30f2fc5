/**
 * Every error code the API can answer with. One list, so clients (and
 * `statelab check`) can rely on a code never changing meaning.
 */
export type ErrorCode =
  | "invalid_request"
  | "malformed_json"
  | "unsupported_media_type"
  | "payload_too_large"
  | "header_too_large"
  | "not_found"
  | "method_not_allowed"
  | "unauthenticated"
  | "invalid_credentials"
  | "session_expired"
  | "token_invalid"
  | "token_expired"
  | "refresh_reused"
  | "csrf_failed"
  | "username_taken"
  | "version_conflict"
  | "rate_limited"
  | "not_supported"
  | "store_unavailable"
  | "db_unavailable"
  | "server_busy"
  | "not_ready"
  | "internal";

export interface AppErrorOptions {
  message?: string;
  cause?: unknown;
  /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
  headers?: Record<string, string>;
  /** Safe, structured detail for the client (never echoes secrets). */
  details?: unknown;
}

/** Base of every error that becomes a JSON response; the error middleware maps it in one place. */
export class AppError extends Error {
  override readonly name: string = "AppError";
  readonly headers: Record<string, string>;
  readonly details: unknown;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    options: AppErrorOptions = {},
  ) {
    super(options.message ?? code.replaceAll("_", " "), { cause: options.cause });
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

export class ValidationError extends AppError {
  override readonly name = "ValidationError";
  constructor(message: string, details?: unknown) {
    super(400, "invalid_request", { message, details });
  }
}

export class MalformedJsonError extends AppError {
  override readonly name = "MalformedJsonError";
  constructor(cause?: unknown) {
    super(400, "malformed_json", { message: "the body is not valid JSON", cause });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  override readonly name = "UnsupportedMediaTypeError";
  constructor(message = "send the body as application/json; charset=utf-8") {
    super(415, "unsupported_media_type", { message });
  }
}

export class PayloadTooLargeError extends AppError {
  override readonly name = "PayloadTooLargeError";
  constructor(limitBytes?: number) {
    super(413, "payload_too_large", {
      message: limitBytes ? `the body is larger than ${limitBytes} bytes` : "the body is too large",
    });
  }
}

export class NotFoundError extends AppError {
  override readonly name = "NotFoundError";
  constructor(message = "no such resource") {
    super(404, "not_found", { message });
  }
}

export class MethodNotAllowedError extends AppError {
  override readonly name = "MethodNotAllowedError";
  constructor(allowed: readonly string[]) {
    super(405, "method_not_allowed", { message: "method not allowed here", headers: { Allow: allowed.join(", ") } });
  }
}

export type UnauthenticatedCode = Extract<
  ErrorCode,
  "unauthenticated" | "invalid_credentials" | "session_expired" | "token_invalid" | "token_expired" | "refresh_reused"
>;

export class UnauthenticatedError extends AppError {
  override readonly name = "UnauthenticatedError";
  constructor(code: UnauthenticatedCode = "unauthenticated", options: AppErrorOptions = {}) {
    super(401, code, options);
  }
}

export class ForbiddenError extends AppError {
  override readonly name = "ForbiddenError";
  constructor(code: Extract<ErrorCode, "csrf_failed">, message?: string) {
    super(403, code, message ? { message } : {});
  }
}

export class ConflictError extends AppError {
  override readonly name = "ConflictError";
  constructor(code: Extract<ErrorCode, "username_taken" | "version_conflict">, message?: string, details?: unknown) {
    super(409, code, { ...(message ? { message } : {}), details });
  }
}

export class RateLimitedError extends AppError {
  override readonly name = "RateLimitedError";
  constructor(readonly retryAfterSeconds: number) {
    super(429, "rate_limited", {
      message: "too many attempts; try again later",
      headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class ServiceUnavailableError extends AppError {
  override readonly name = "ServiceUnavailableError";
  constructor(code: Extract<ErrorCode, "store_unavailable" | "db_unavailable">, cause?: unknown) {
    // Redis holds sessions, the denylist and the login throttle: name what is down, not one of its uses.
    const what = code === "db_unavailable" ? "the database (Postgres)" : "the shared store (Redis)";
    super(503, code, { message: `${what} is unavailable; try again shortly`, cause, headers: { "Retry-After": "1" } });
  }
}

/**
 * The expensive work (argon2) is at capacity: answered at once, so a flood turns into fast
 * 503s instead of requests that wait until the proxy gives up (504).
 */
export class ServerBusyError extends AppError {
  override readonly name = "ServerBusyError";
  constructor(retryAfterSeconds = 1) {
    super(503, "server_busy", {
      message: "the server is busy; try again shortly",
      headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class NotSupportedError extends AppError {
  override readonly name = "NotSupportedError";
  constructor(message: string) {
    super(404, "not_supported", { message });
  }
}
