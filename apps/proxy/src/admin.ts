import type { IncomingMessage, ServerResponse } from "node:http";
import { refuseNonLocal } from "@statelab/http";
import { errorBody, ProxyError } from "./errors.js";
import type { ReverseProxy } from "./proxy.js";
import { isStrategyName, strategyNames } from "./strategies/index.js";

const maxBodyBytes = 1024;

function send(res: ServerResponse, status: number, body: string, contentType = "application/json; charset=utf-8") {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new ProxyError("bad_request", `the body is larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (cause) {
    throw new ProxyError("bad_request", "the body is not valid JSON", { cause });
  }
}

function allow(req: IncomingMessage, ...methods: string[]): void {
  if (!methods.includes(req.method ?? "")) throw new ProxyError("method_not_allowed", `use ${methods.join(" or ")}`);
}

async function route(proxy: ReverseProxy, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const refusal = refuseNonLocal(req);
  if (refusal) throw new ProxyError(refusal.code, refusal.message);
  const path = new URL(req.url ?? "/", "http://admin").pathname;
  if (path === "/healthz") {
    allow(req, "GET", "HEAD");
    return send(res, 200, JSON.stringify({ status: "ok" }));
  }
  if (path === "/metrics") {
    allow(req, "GET");
    return send(res, 200, await proxy.metricsText(), "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path === "/backends") {
    allow(req, "GET");
    return send(res, 200, JSON.stringify({ strategy: proxy.strategy(), backends: proxy.backends() }));
  }
  if (path === "/strategy") {
    allow(req, "GET", "PUT");
    if (req.method === "PUT") {
      const body = await readJson(req);
      const name = (body as { strategy?: unknown } | null)?.strategy;
      if (!isStrategyName(name))
        throw new ProxyError("bad_request", `"strategy" must be one of ${strategyNames.join(", ")}`);
      proxy.setStrategy(name);
    }
    return send(res, 200, JSON.stringify({ strategy: proxy.strategy() }));
  }
  const match = /^\/backends\/([A-Za-z0-9_-]{1,32})(?:\/(drain|enable))?$/.exec(path);
  if (match?.[1] !== undefined) {
    const id = match[1];
    if (match[2] === undefined) {
      allow(req, "GET");
      const status = proxy.backends().find((backend) => backend.id === id);
      if (!status) throw new ProxyError("not_found", `no backend "${id}"`);
      return send(res, 200, JSON.stringify(status));
    }
    allow(req, "POST");
    const status = match[2] === "drain" ? proxy.drain(id) : proxy.enable(id);
    return send(res, 200, JSON.stringify(status));
  }
  throw new ProxyError("not_found", "no such admin route");
}

/**
 * The admin API: backends with state and counts, strategy switch, drain/enable, metrics.
 * It has no authentication: it listens on its own port, on loopback only, and refuses
 * what a web page could make a browser send (refuseNonLocal, shared with the dashboard).
 */
export function createAdminHandler(proxy: ReverseProxy): (req: IncomingMessage, res: ServerResponse) => void {
  return function adminHandler(req, res) {
    route(proxy, req, res).catch((error: unknown) => {
      const known = error instanceof ProxyError ? error : new ProxyError("internal", "internal error");
      if (res.headersSent) return res.destroy();
      send(res, known.status, errorBody(known.code, known.message));
    });
  };
}
