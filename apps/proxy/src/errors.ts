/** Every code the proxy itself answers with; backends' own codes pass through untouched. */
export type ProxyErrorCode =
  | "bad_request"
  | "header_too_large"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "no_healthy_backend"
  | "bad_gateway"
  | "upstream_timeout"
  | "internal";

const statusOf: Record<ProxyErrorCode, number> = {
  bad_request: 400,
  header_too_large: 431,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  no_healthy_backend: 503,
  bad_gateway: 502,
  upstream_timeout: 504,
  internal: 500,
};

/** An error the proxy turns into `{"error":{"code","message"}}` with a fixed status per code. */
export class ProxyError extends Error {
  override readonly name = "ProxyError";
  readonly status: number;

  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.status = statusOf[code];
  }
}

/** Thrown at construction when options or env are wrong; names every problem at once. */
export class ProxyConfigError extends Error {
  override readonly name = "ProxyConfigError";
  /** Some problem is in the command line (main.ts exits 2, as for any usage error). */
  readonly isUsage: boolean;
  constructor(
    readonly problems: readonly string[],
    options: { isUsage?: boolean } = {},
  ) {
    super(`invalid proxy configuration: ${problems.join("; ")}`);
    this.isUsage = options.isUsage ?? false;
  }
}

/** The JSON body of an error response. */
export function errorBody(code: ProxyErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

export function statusOfCode(code: ProxyErrorCode): number {
  return statusOf[code];
}
