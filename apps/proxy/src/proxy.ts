import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP, type Socket } from "node:net";
import { PassThrough, type Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { createAdminHandler } from "./admin.js";
import { type BackendSpec, parseBackendList, validateBackends } from "./backend-list.js";
import { type Backend, type BackendEvent, BackendSet, type BackendStatus } from "./backend-set.js";
import { errorBody, ProxyConfigError, ProxyError, type ProxyErrorCode, statusOfCode } from "./errors.js";
import { clientIpOf, downstreamHeaders, isValidHost, pinCookie, requestIdFor, upstreamRequest } from "./headers.js";
import { describe, type HealthChecks, startHealthChecks } from "./health-checks.js";
import { internalPathOf } from "./internal-paths.js";
import { createProxyMetrics, type ProxyMetrics } from "./metrics.js";
import { createStrategy, isStrategyName, type Strategy, type StrategyName, strategyNames } from "./strategies/index.js";

export interface ProxyOptions {
  /** A list, or the `id=url,…` text form. */
  readonly backends: readonly BackendSpec[] | readonly { id: string; url: string }[] | string;
  readonly strategy?: StrategyName;
  /** Time allowed for response headers, and between body chunks (→ 504 upstream_timeout). */
  readonly upstreamTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly healthIntervalMs?: number;
  readonly healthTimeoutMs?: number;
  readonly healthPath?: string;
  /** Consecutive passing checks before a down backend takes traffic again. */
  readonly healthRise?: number;
  /** Consecutive failing checks before an up backend is taken out. */
  readonly healthFall?: number;
  readonly stickyCookieName?: string;
  /**
   * A trusted proxy sits in front: keep its X-Forwarded-Proto/-Host and take the client
   * address from the last X-Forwarded-For entry it wrote. Off: the peer is the client.
   */
  readonly trustForwarded?: boolean;
  /**
   * The local address connections to backends come from. Backends trust X-Forwarded-For
   * from exactly this address (TRUST_PROXY), so on one machine it must differ from the
   * loopback address clients use (the lab uses 127.0.0.2). Unset: the kernel picks.
   */
  readonly sourceAddress?: string;
  readonly onEvent?: (event: ProxyEvent) => void;
}

export type ProxyEvent =
  | BackendEvent
  | { readonly type: "strategy"; readonly strategy: StrategyName }
  | { readonly type: "upstream_error"; readonly id: string; readonly code: ProxyErrorCode; readonly detail: string };

export interface ReverseProxy {
  /** The traffic server; not listening. Active health checks run while it listens. */
  readonly server: Server;
  /** The admin API server; not listening. */
  readonly admin: Server;
  readonly cookieName: string;
  strategy(): StrategyName;
  setStrategy(name: StrategyName): void;
  backends(): BackendStatus[];
  /** Stop sending new requests to the backend; in-flight ones finish. */
  drain(id: string): BackendStatus;
  enable(id: string): BackendStatus;
  /** Runs one round of active checks now. */
  checkHealth(): Promise<void>;
  metricsText(): Promise<string>;
  /** Stops health checks and closes upstream pools. Close the servers first. */
  close(): Promise<void>;
}

export const proxyDefaults = {
  strategy: "round-robin",
  upstreamTimeoutMs: 10_000,
  connectTimeoutMs: 2_000,
  healthIntervalMs: 2_000,
  healthPath: "/healthz",
  healthRise: 2,
  healthFall: 3,
  stickyCookieName: "SL_BACKEND",
} as const;

// RFC 9110 §9.2.2; only these may be replayed on another backend, and only without a body.
const idempotent = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
// Failures where the backend cannot have started on the request (or a reused socket raced its close).
const connectFailures = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const timeouts = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);
const clientFaults = new Set(["UND_ERR_INVALID_ARG", "UND_ERR_NOT_SUPPORTED", "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH"]);

function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function positiveInt(problems: string[], name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) problems.push(`${name} must be a positive integer (got ${value})`);
  return value;
}

function toSpecs(backends: ProxyOptions["backends"], problems: string[]): BackendSpec[] {
  try {
    if (typeof backends === "string") return parseBackendList(backends);
    return validateBackends(
      backends.map((backend) => ({ id: backend.id, url: "url" in backend ? backend.url : backend.origin })),
    );
  } catch (error) {
    if (error instanceof ProxyConfigError) problems.push(...error.problems);
    else throw error;
    return [];
  }
}

/** Writes a JSON error unless the response has started, in which case the only honest signal is a reset. */
function sendError(res: ServerResponse, code: ProxyErrorCode, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(code, message);
  res.writeHead(statusOfCode(code), {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

/**
 * undici destroys a request body stream when the upstream fails; handed `req` itself, that
 * would kill the client's socket before we could answer 502. A PassThrough takes the hit
 * instead, and a client abort is still passed on so the upstream request stops too.
 */
function detachedBody(req: IncomingMessage): Readable {
  const body = new PassThrough();
  req.once("error", (error) => body.destroy(error));
  return req.pipe(body);
}

/** Answers a request the HTTP parser refused, before any handler saw it. */
function rejectRawClient(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable || (error as { bytesParsed?: number }).bytesParsed === undefined) {
    socket.destroy();
    return;
  }
  const isTooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const code: ProxyErrorCode = isTooLarge ? "header_too_large" : "bad_request";
  const body = errorBody(code, isTooLarge ? "request headers are too large" : "malformed HTTP request");
  socket.end(
    `HTTP/1.1 ${statusOfCode(code)} ${isTooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}

/**
 * Builds the reverse proxy (traffic server + admin server, neither listening). It keeps
 * no per-user state — sticky routing lives in the client's cookie — so any number of
 * proxies can run side by side and any one can die without logging anybody out.
 */
export function createProxy(options: ProxyOptions): ReverseProxy {
  const problems: string[] = [];
  const specs = toSpecs(options.backends, problems);
  const strategyName = options.strategy ?? proxyDefaults.strategy;
  if (!isStrategyName(strategyName)) problems.push(`strategy must be one of ${strategyNames.join(", ")}`);
  const upstreamTimeoutMs = positiveInt(
    problems,
    "upstreamTimeoutMs",
    options.upstreamTimeoutMs,
    proxyDefaults.upstreamTimeoutMs,
  );
  const connectTimeoutMs = positiveInt(
    problems,
    "connectTimeoutMs",
    options.connectTimeoutMs,
    proxyDefaults.connectTimeoutMs,
  );
  const healthIntervalMs = positiveInt(
    problems,
    "healthIntervalMs",
    options.healthIntervalMs,
    proxyDefaults.healthIntervalMs,
  );
  const healthTimeoutMs = positiveInt(
    problems,
    "healthTimeoutMs",
    options.healthTimeoutMs,
    Math.min(healthIntervalMs, upstreamTimeoutMs),
  );
  const rise = positiveInt(problems, "healthRise", options.healthRise, proxyDefaults.healthRise);
  const fall = positiveInt(problems, "healthFall", options.healthFall, proxyDefaults.healthFall);
  const healthPath = options.healthPath ?? proxyDefaults.healthPath;
  if (!healthPath.startsWith("/")) problems.push("healthPath must start with /");
  const cookieName = options.stickyCookieName ?? proxyDefaults.stickyCookieName;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cookieName)) problems.push("stickyCookieName must be a plain token");
  const onEvent = options.onEvent ?? (() => {});
  const trustForwarded = options.trustForwarded ?? false;
  const sourceAddress = options.sourceAddress;
  if (sourceAddress !== undefined && isIP(sourceAddress) === 0) problems.push("sourceAddress must be an IP address");
  if (problems.length > 0) throw new ProxyConfigError(problems);
  const set = new BackendSet(specs, {
    rise,
    fall,
    connectTimeoutMs,
    onEvent,
    ...(sourceAddress ? { sourceAddress } : {}),
  });
  let strategy: Strategy = createStrategy(strategyName);
  let checks: HealthChecks | undefined;
  const metrics: ProxyMetrics = createProxyMetrics(set, () => strategy.name);

  function backendOrThrow(id: string): Backend {
    const backend = set.get(id);
    if (!backend) throw new ProxyError("not_found", `no backend "${id}"`);
    return backend;
  }

  // Returns undefined so handlers can `return fail(…)` in one line.
  function fail(res: ServerResponse, code: ProxyErrorCode, message: string): undefined {
    metrics.error(code);
    sendError(res, code, message);
    return undefined;
  }

  /**
   * /readyz on the public side is the proxy's own readiness — some backend can take
   * traffic — without the instances' dependency detail (addresses, database messages).
   */
  function answerReady(res: ServerResponse): undefined {
    if (set.available().length === 0) return fail(res, "no_healthy_backend", "no healthy backend is available");
    const body = JSON.stringify({ status: "ready" });
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
    });
    res.end(body);
    return undefined;
  }

  function handle(req: IncomingMessage, res: ServerResponse): undefined {
    const requestId = requestIdFor(req.headers["x-request-id"]);
    res.setHeader("x-request-id", requestId);
    const method = req.method ?? "GET";
    const url = req.url ?? "";
    if (method === "CONNECT") return fail(res, "method_not_allowed", "CONNECT is not supported");
    if (!url.startsWith("/")) return fail(res, "bad_request", "the request target must be a path");
    const hasBody =
      req.headers["transfer-encoding"] !== undefined ||
      (req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0");
    const internal = internalPathOf(url);
    if (internal === "readyz") return answerReady(res);
    // Instances serve these to operators (and to the admin side); the public side never routes them (H5).
    if (internal !== null) return fail(res, "not_found", "no such route");
    const clientIp = clientIpOf(req, trustForwarded);
    const clientSocket = req.socket;
    const upstream = upstreamRequest(req, requestId, clientIp, { cookieName, trustForwarded, hasBody });
    if (upstream.hostCount > 1) return fail(res, "bad_request", "more than one Host header");
    if (upstream.host === undefined ? req.httpVersionMinor >= 1 : !isValidHost(upstream.host))
      return fail(res, "bad_request", "missing or invalid Host header");
    const context = { clientIp, pinnedId: upstream.pinnedId };
    // The strategy in force when the request arrived, even if an admin switches mid-flight.
    const chosenBy = strategy;
    const canRetry = !hasBody && idempotent.has(method);

    const attempt = (exclude: Backend | undefined): undefined => {
      const available = set.available();
      const candidates = exclude ? available.filter((backend) => backend !== exclude) : available;
      if (candidates.length === 0) return fail(res, "no_healthy_backend", "no healthy backend is available");
      const backend = chosenBy.pick(candidates, context);
      let hasResponded = false;
      backend.inFlight++;

      const factory = ({ statusCode, headers }: Dispatcher.StreamFactoryData<null>) => {
        hasResponded = true;
        const out = downstreamHeaders(headers);
        out["x-request-id"] = requestId;
        if (chosenBy.pinsWithCookie && upstream.pinnedId !== backend.id) {
          const existing = out["set-cookie"];
          const pin = pinCookie(cookieName, backend.id);
          out["set-cookie"] =
            existing === undefined ? pin : [...(Array.isArray(existing) ? existing : [existing]), pin];
          // HAProxy's `nocache`: a shared cache must not hand one client's pin to everyone.
          const cacheControl = out["cache-control"];
          if (cacheControl === undefined) out["cache-control"] = "private";
          else if (typeof cacheControl === "string" && !/private|no-store/i.test(cacheControl))
            out["cache-control"] = `private, ${cacheControl}`;
        }
        metrics.response(backend.id, statusCode);
        res.writeHead(statusCode, out);
        return res;
      };

      backend.pool
        .stream(
          {
            path: url,
            method: method as Dispatcher.HttpMethod,
            headers: upstream.headers,
            body: hasBody ? detachedBody(req) : null,
            headersTimeout: upstreamTimeoutMs,
            bodyTimeout: upstreamTimeoutMs,
          },
          factory,
        )
        .then(
          () => {
            backend.inFlight--;
            backend.served++;
          },
          (error: unknown) => {
            backend.inFlight--;
            backend.failed++;
            const code = errorCodeOf(error);
            // Mid-body failure (either side): headers are gone, so the only honest signal is a reset.
            if (hasResponded) {
              res.destroy();
              return;
            }
            if (clientSocket.destroyed) return; // the client left; not the backend's fault
            if (clientFaults.has(code)) return fail(res, "bad_request", "the request could not be forwarded");
            const proxyCode: ProxyErrorCode = timeouts.has(code) ? "upstream_timeout" : "bad_gateway";
            onEvent({ type: "upstream_error", id: backend.id, code: proxyCode, detail: describe(error) });
            if (connectFailures.has(code) || timeouts.has(code)) set.eject(backend, describe(error));
            if (canRetry && exclude === undefined && connectFailures.has(code)) {
              metrics.retry();
              return attempt(backend);
            }
            fail(
              res,
              proxyCode,
              proxyCode === "upstream_timeout" ? "the backend did not answer in time" : "the backend failed",
            );
          },
        );
    };
    return attempt(undefined);
  }

  const server = createServer(
    {
      // We answer a missing Host ourselves, as JSON like every other error.
      requireHostHeader: false,
    },
    handle,
  );
  server.on("clientError", rejectRawClient);
  server.on("listening", () => {
    checks ??= startHealthChecks(set, { intervalMs: healthIntervalMs, timeoutMs: healthTimeoutMs, path: healthPath });
  });
  server.on("close", () => {
    checks?.stop();
    checks = undefined;
  });

  const proxy: ReverseProxy = {
    server,
    admin: createServer(),
    cookieName,
    strategy: () => strategy.name,
    setStrategy(name) {
      if (!isStrategyName(name))
        throw new ProxyError("bad_request", `strategy must be one of ${strategyNames.join(", ")}`);
      strategy = createStrategy(name);
      onEvent({ type: "strategy", strategy: name });
    },
    backends: () => set.all.map((backend) => backend.status()),
    drain(id) {
      const backend = backendOrThrow(id);
      set.drain(backend);
      return backend.status();
    },
    enable(id) {
      const backend = backendOrThrow(id);
      set.enable(backend);
      return backend.status();
    },
    async checkHealth() {
      if (checks) return checks.checkNow();
      const once = startHealthChecks(set, { intervalMs: 2 ** 31 - 1, timeoutMs: healthTimeoutMs, path: healthPath });
      await once.checkNow();
      once.stop();
    },
    metricsText: () => metrics.registry.metrics(),
    async close() {
      checks?.stop();
      checks = undefined;
      await set.close();
    },
  };
  proxy.admin.on("request", createAdminHandler(proxy));
  proxy.admin.on("clientError", rejectRawClient);
  return proxy;
}
