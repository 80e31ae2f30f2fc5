import type { BackendSpec } from "./backend-list.js";
import { proxyDefaults } from "./proxy.js";
import type { FrontendSpec, RenderOptions } from "./render-haproxy.js";

export interface NginxRenderOptions extends RenderOptions {
  /** Where pid, logs and temp files go (tests); omitted → nginx's compiled-in defaults. */
  readonly runDir?: string;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// fail_timeout takes whole seconds: nginx rejects "ms" there, unlike in proxy_*_timeout.
function servers(backends: readonly BackendSpec[], fallMs: number, primary?: BackendSpec): string[] {
  return backends.map((backend) => {
    const isBackup = primary !== undefined && backend !== primary;
    return `    server ${backend.host}:${backend.port} max_fails=1 fail_timeout=${Math.max(1, Math.ceil(fallMs / 1000))}s${isBackup ? " backup" : ""};`;
  });
}

function balance(frontend: FrontendSpec): string[] {
  if (frontend.strategy === "least-connections") return ["    least_conn;"];
  if (frontend.strategy === "source-hash") return ["    hash $remote_addr consistent;"];
  return [];
}

/**
 * nginx (open source) config equivalent to the built-in proxy. OSS nginx has no active
 * health checks and no `sticky cookie` (both are NGINX Plus), so: passive checks only
 * (max_fails/fail_timeout), and stickiness built from maps — the cookie selects an
 * upstream whose other servers are `backup` (that is the re-pin), and the served
 * address is mapped back to an id to (re-)insert the cookie.
 */
export function renderNginxConfig(options: NginxRenderOptions): string {
  const cookie = options.stickyCookieName ?? proxyDefaults.stickyCookieName;
  const timeoutMs = options.upstreamTimeoutMs ?? proxyDefaults.upstreamTimeoutMs;
  const connectMs = options.connectTimeoutMs ?? proxyDefaults.connectTimeoutMs;
  const ejectMs = (options.healthIntervalMs ?? proxyDefaults.healthIntervalMs) * (options.healthRise ?? 2);
  const run = options.runDir;
  const lines = [
    "# Rendered by apps/proxy (npm run render-infra -w apps/proxy) from the same backend list",
    "# as the built-in proxy. Edit the renderer, not this file.",
    "worker_processes auto;",
    ...(run ? [`pid ${run}/nginx.pid;`, `error_log ${run}/error.log warn;`] : []),
    "events { worker_connections 4096; }",
    "",
    "http {",
    "  access_log off;",
    ...(options.sourceAddress
      ? [
          `  # Backends trust X-Forwarded-For from this address only (TRUST_PROXY=${options.sourceAddress}).`,
          `  proxy_bind ${options.sourceAddress};`,
        ]
      : []),
    ...(run
      ? [
          `  client_body_temp_path ${run}/client_body;`,
          `  proxy_temp_path ${run}/proxy;`,
          `  fastcgi_temp_path ${run}/fastcgi;`,
          `  uwsgi_temp_path ${run}/uwsgi;`,
          `  scgi_temp_path ${run}/scgi;`,
        ]
      : []),
    "  # Keep a caller's request id when it is a short safe token, as the built-in proxy does.",
    "  map $http_x_request_id $sl_request_id {",
    '    "~^[A-Za-z0-9._-]{1,64}$" $http_x_request_id;',
    "    default $request_id;",
    "  }",
    "  # Backends never see the routing cookie (HAProxy's `indirect`).",
    "  map $http_cookie $sl_upstream_cookie {",
    `    "~^(?:(?<before>.*?)\\s*;\\s*)?${cookie}=[^;]*(?<after>.*)$" "$before$after";`,
    "    default $http_cookie;",
    "  }",
  ];
  for (const frontend of options.frontends) {
    const name = `sl_${frontend.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
    const isSticky = frontend.strategy === "sticky-cookie";
    lines.push(
      "",
      `  upstream ${name} {`,
      ...balance(frontend),
      ...servers(frontend.backends, ejectMs),
      "    keepalive 64;",
      "  }",
    );
    if (isSticky) {
      for (const backend of frontend.backends)
        lines.push(
          `  upstream ${name}_${backend.id.replace(/-/g, "_")} {`,
          ...servers(frontend.backends, ejectMs, backend),
          "    keepalive 16;",
          "  }",
        );
      lines.push(
        `  map $cookie_${cookie} $${name}_pool {`,
        ...frontend.backends.map((backend) => `    ${backend.id} ${name}_${backend.id.replace(/-/g, "_")};`),
        `    default ${name};`,
        "  }",
        `  map $upstream_addr $${name}_served {`,
        ...frontend.backends.map(
          (backend) => `    "~(?:^|, )${escapeRegex(`${backend.host}:${backend.port}`)}$" ${backend.id};`,
        ),
        '    default "";',
        "  }",
        "  # Insert the cookie only when it is missing or names another server (HAProxy's `insert indirect`).",
        `  map "$cookie_${cookie}:$${name}_served" $${name}_pin {`,
        '    "~:$" "";',
        '    "~^([^:]*):\\1$" "";',
        `    "~:(?<id>[A-Za-z0-9_-]+)$" "${cookie}=$id; Path=/; HttpOnly; SameSite=Lax";`,
        "  }",
      );
    }
    lines.push(
      "",
      "  server {",
      `    listen ${frontend.host}:${frontend.port};`,
      "    location / {",
      `      proxy_pass http://${isSticky ? `$${name}_pool` : name};`,
      "      proxy_http_version 1.1;",
      '      proxy_set_header Connection "";',
      "      proxy_set_header Host $http_host;",
      "      # The client address is the peer nginx saw, alone (an empty value drops the header):",
      "      # a client-written one would choose the address every per-IP limit counts (A5).",
      "      proxy_set_header X-Forwarded-For $remote_addr;",
      '      proxy_set_header Forwarded "";',
      '      proxy_set_header X-Real-IP "";',
      "      proxy_set_header X-Forwarded-Proto $scheme;",
      "      proxy_set_header X-Forwarded-Host $http_host;",
      "      proxy_set_header X-Request-Id $sl_request_id;",
      "      proxy_set_header Cookie $sl_upstream_cookie;",
      `      proxy_connect_timeout ${connectMs}ms;`,
      `      proxy_read_timeout ${timeoutMs}ms;`,
      `      proxy_send_timeout ${timeoutMs}ms;`,
      "      # One retry on another server; nginx never retries non-idempotent methods by default.",
      "      proxy_next_upstream error timeout;",
      "      proxy_next_upstream_tries 2;",
      "      add_header X-Request-Id $sl_request_id always;",
      ...(isSticky ? [`      add_header Set-Cookie $${name}_pin;`] : []),
      "    }",
      "    # The instances' /metrics and /lease are for operators (H5). nginx matches the decoded,",
      "    # slash-merged path; ~* ignores case, as express's routing does.",
      "    location ~* ^/+(metrics|lease)/*$ {",
      "      default_type application/json;",
      "      add_header Cache-Control no-store always;",
      `      return 404 '${JSON.stringify({ error: { code: "not_found", message: "no such route" } })}';`,
      "    }",
      "    # /readyz without the instances' dependency detail: nginx has no health view of its own,",
      "    # so it answers with a live backend's /healthz, and 503 when none answers.",
      "    location ~* ^/+readyz/*$ {",
      "      rewrite ^ /healthz break;",
      `      proxy_pass http://${name};`,
      "      proxy_http_version 1.1;",
      '      proxy_set_header Connection "";',
      "      proxy_intercept_errors on;",
      "      error_page 500 502 503 504 =503 /_statelab_503;",
      `      proxy_connect_timeout ${connectMs}ms;`,
      `      proxy_read_timeout ${timeoutMs}ms;`,
      "    }",
      "    error_page 502 /_statelab_502;",
      "    error_page 503 /_statelab_503;",
      "    error_page 504 /_statelab_504;",
      ...errorLocation(502, "bad_gateway", "the backend failed"),
      ...errorLocation(503, "no_healthy_backend", "no healthy backend is available"),
      ...errorLocation(504, "upstream_timeout", "the backend did not answer in time"),
      "  }",
    );
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function errorLocation(status: number, code: string, message: string): string[] {
  return [
    `    location = /_statelab_${status} {`,
    "      internal;",
    "      default_type application/json;",
    "      add_header Cache-Control no-store always;",
    `      return ${status} '${JSON.stringify({ error: { code, message } })}';`,
    "    }",
  ];
}
