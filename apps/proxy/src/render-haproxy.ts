import type { BackendSpec } from "./backend-list.js";
import { proxyDefaults } from "./proxy.js";
import type { StrategyName } from "./strategies/index.js";

/** One listening proxy in front of one backend list, as the built-in proxy runs it. */
export interface FrontendSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly strategy: StrategyName;
  readonly backends: readonly BackendSpec[];
}

export interface RenderOptions {
  readonly frontends: readonly FrontendSpec[];
  readonly healthIntervalMs?: number;
  readonly healthRise?: number;
  readonly healthFall?: number;
  readonly upstreamTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly stickyCookieName?: string;
  /** Local address of connections to the backends, which trust X-Forwarded-For from it alone. */
  readonly sourceAddress?: string;
}

const balance: Record<StrategyName, string> = {
  "round-robin": "balance roundrobin",
  "least-connections": "balance leastconn",
  "sticky-cookie": "balance roundrobin",
  // `consistent` so losing a server moves only its clients, like the built-in rendezvous hash.
  "source-hash": "balance source\n  hash-type consistent",
};

function jsonError(code: string, message: string): string {
  return `'${JSON.stringify({ error: { code, message } })}'`;
}

/** The instances' operator endpoints, as express would route them (any case, trailing slash, escapes). */
const internalPath = (names: string) => `{ path,url_dec,lower -m reg ^/+(${names})/*$ }`;
const json = 'content-type "application/json; charset=utf-8" hdr Cache-Control no-store';

/**
 * HAProxy 2.6 config equivalent to the built-in proxy for the same backend list: the
 * same strategies, /healthz checks with rise/fall, passive ejection, one retry on
 * connection failure, the same cookie, X-Request-Id and JSON error bodies, the same
 * replaced client address and unrouted operator endpoints.
 */
export function renderHaproxyConfig(options: RenderOptions): string {
  const interval = options.healthIntervalMs ?? proxyDefaults.healthIntervalMs;
  const rise = options.healthRise ?? proxyDefaults.healthRise;
  const fall = options.healthFall ?? proxyDefaults.healthFall;
  const cookie = options.stickyCookieName ?? proxyDefaults.stickyCookieName;
  const lines = [
    "# Rendered by apps/proxy (npm run render-infra -w apps/proxy) from the same backend list",
    "# as the built-in proxy. Edit the renderer, not this file.",
    "global",
    "  # Each connection needs two file descriptors; keep well under a default 20k ulimit.",
    "  maxconn 4096",
    "",
    "defaults",
    "  mode http",
    `  timeout connect ${options.connectTimeoutMs ?? proxyDefaults.connectTimeoutMs}ms`,
    "  timeout client 30s",
    `  timeout server ${options.upstreamTimeoutMs ?? proxyDefaults.upstreamTimeoutMs}ms`,
    "  timeout http-request 10s",
    "  timeout http-keep-alive 5s",
    "  # One retry, on another server, only when the request cannot have reached the first.",
    "  retries 1",
    "  option redispatch 1",
    "  retry-on conn-failure empty-response",
    `  http-error status 400 content-type "application/json; charset=utf-8" string ${jsonError("bad_request", "malformed HTTP request")}`,
    `  http-error status 502 content-type "application/json; charset=utf-8" string ${jsonError("bad_gateway", "the backend failed")}`,
    `  http-error status 503 content-type "application/json; charset=utf-8" string ${jsonError("no_healthy_backend", "no healthy backend is available")}`,
    `  http-error status 504 content-type "application/json; charset=utf-8" string ${jsonError("upstream_timeout", "the backend did not answer in time")}`,
  ];
  for (const frontend of options.frontends) {
    lines.push(
      "",
      `frontend fe_${frontend.name}`,
      `  bind ${frontend.host}:${frontend.port}`,
      "  unique-id-format %[uuid()]",
      "  # Keep a caller's request id when it is a short safe token, as the built-in proxy does.",
      "  http-request set-header X-Request-Id %[unique-id] unless { req.fhdr(x-request-id) -m reg ^[A-Za-z0-9._-]{1,64}$ }",
      "  http-request set-var(txn.request_id) req.fhdr(x-request-id)",
      "  # The client address is the peer HAProxy saw, alone: a client-written X-Forwarded-For,",
      "  # Forwarded or X-Real-IP would choose the address every per-IP limit counts (A5).",
      "  http-request del-header Forwarded",
      "  http-request del-header X-Real-IP",
      "  http-request set-header X-Forwarded-For %[src]",
      "  http-request set-header X-Forwarded-Proto http",
      "  http-request set-header X-Forwarded-Host %[req.hdr(host)]",
      "  # after-response also covers the error responses HAProxy makes itself.",
      "  http-after-response set-header X-Request-Id %[var(txn.request_id)] if { var(txn.request_id) -m found }",
      "  # The instances' /metrics and /lease are for operators, and /readyz here is HAProxy's own",
      "  # readiness without the instances' dependency detail (H5).",
      `  http-request return status 404 ${json} string ${jsonError("not_found", "no such route")} if ${internalPath("metrics|lease")}`,
      `  http-request return status 200 ${json} string '{"status":"ready"}' if ${internalPath("readyz")} { nbsrv(be_${frontend.name}) gt 0 }`,
      `  http-request return status 503 ${json} string ${jsonError("no_healthy_backend", "no healthy backend is available")} if ${internalPath("readyz")}`,
      `  default_backend be_${frontend.name}`,
      "",
      `backend be_${frontend.name}`,
      `  ${balance[frontend.strategy]}`,
    );
    if (frontend.strategy === "sticky-cookie")
      lines.push(
        "  # The client carries the server's id; `indirect` also strips it before the server sees it.",
        `  cookie ${cookie} insert indirect nocache httponly attr "SameSite=Lax"`,
      );
    if (options.sourceAddress)
      lines.push(
        `  # Backends trust X-Forwarded-For from this address only (TRUST_PROXY=${options.sourceAddress}).`,
        `  source ${options.sourceAddress}`,
      );
    lines.push(
      "  option httpchk",
      `  http-check send meth GET uri ${proxyDefaults.healthPath}`,
      "  # Passive ejection: a connection error takes the server out until checks pass `rise` times.",
      `  default-server inter ${interval}ms rise ${rise} fall ${fall} observe layer4 error-limit 1 on-error mark-down`,
    );
    for (const backend of frontend.backends) {
      const pin = frontend.strategy === "sticky-cookie" ? ` cookie ${backend.id}` : "";
      lines.push(`  server ${backend.id} ${backend.host}:${backend.port} check${pin}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
