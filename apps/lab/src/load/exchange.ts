import { type Dispatcher, util } from "undici";

/** Response headers as the driver hands them to scenarios: lower-case names, repeated ones as arrays. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** How one HTTP exchange ended: a complete answer, or an error and whether the request had been written. */
export type ExchangeResult =
  | { kind: "answer"; status: number; headers: ResponseHeaders; body: string }
  | { kind: "error"; code: string; isSent: boolean };

/** One request in flight; `cancel` settles it at once with `code` and tears the request down. */
export interface Exchange {
  readonly result: Promise<ExchangeResult>;
  cancel(code: string): void;
}

export interface ExchangeRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Bodies are read to the end so the connection can be reused, but only this much is kept. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Sends one request through `dispatcher` and collects its answer; never rejects. */
export function startExchange(dispatcher: Dispatcher, request: ExchangeRequest): Exchange {
  let settle: (result: ExchangeResult) => void = () => {};
  const result = new Promise<ExchangeResult>((resolve) => {
    settle = resolve;
  });
  const handler = new ExchangeHandler(settle);
  dispatcher.dispatch(
    {
      method: request.method as Dispatcher.HttpMethod,
      path: request.path,
      headers: request.headers,
      body: request.body,
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
    },
    handler,
  );
  return { result, cancel: (code) => handler.cancel(code) };
}

/**
 * undici's legacy handler interface: it is the only one that reports `onRequestSent`,
 * which is what separates "never sent, so no effect" (fail) from "sent, effect unknown".
 */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  readonly #settle: (result: ExchangeResult) => void;
  #isSettled = false;
  #isSent = false;
  #abort: ((error?: Error) => void) | null = null;
  #status = 0;
  #headers: ResponseHeaders = {};
  readonly #chunks: Buffer[] = [];
  #keptBytes = 0;

  constructor(settle: (result: ExchangeResult) => void) {
    this.#settle = settle;
  }

  cancel(code: string): void {
    if (this.#isSettled) return;
    this.#finish({ kind: "error", code, isSent: this.#isSent });
    // Before a socket is assigned there is nothing to abort yet: onConnect aborts it then.
    this.#abort?.(new Error(`load driver: ${code}`));
  }

  onConnect(abort: (error?: Error) => void): void {
    if (this.#isSettled) abort(new Error("load driver: cancelled before sending"));
    else this.#abort = abort;
  }

  onRequestSent(): void {
    this.#isSent = true;
  }

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    this.#status = status;
    this.#headers = util.parseHeaders(rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const room = MAX_BODY_BYTES - this.#keptBytes;
    if (room > 0) {
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.#chunks.push(kept);
      this.#keptBytes += kept.length;
    }
    return true;
  }

  onComplete(): void {
    const body = Buffer.concat(this.#chunks, this.#keptBytes).toString("utf8");
    this.#finish({ kind: "answer", status: this.#status, headers: this.#headers, body });
  }

  onError(error: Error): void {
    this.#finish({ kind: "error", code: errorCode(error), isSent: this.#isSent });
  }

  #finish(result: ExchangeResult): void {
    if (this.#isSettled) return;
    this.#isSettled = true;
    this.#settle(result);
  }
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** A short stable code for a request error: `timeout`, `connect_timeout`, or the socket/undici code itself. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (TIMEOUT_CODES.has(code)) return "timeout";
    return code === "UND_ERR_CONNECT_TIMEOUT" ? "connect_timeout" : code;
  }
  // net's happy-eyeballs connect (e.g. "localhost") reports one error per address tried.
  if (error instanceof AggregateError && error.errors.length > 0) return errorCode(error.errors[0]);
  return "error";
}
