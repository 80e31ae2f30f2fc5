import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { refuseNonLocal } from "@statelab/http";
import { ControlError, parseFaultRequest } from "../control/index.js";
import type { Dashboard } from "./dashboard.js";
import { parseTrafficSettings } from "./traffic.js";

const publicDir = fileURLToPath(new URL("./public/", import.meta.url));
const uplotDir = path.dirname(createRequire(import.meta.url).resolve("uplot"));

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/**
 * The only files served: the page's folder as listed at start, and uPlot from node_modules.
 * A fixed map, so no path from a request ever reaches the file system.
 */
const staticFiles: Record<string, { file: string; type: string }> = {
  ...Object.fromEntries(
    readdirSync(publicDir)
      .filter((name) => path.extname(name) in contentTypes)
      .map((name) => [
        name === "index.html" ? "/" : `/${name}`,
        { file: path.join(publicDir, name), type: contentTypes[path.extname(name)] as string },
      ]),
  ),
  "/vendor/uPlot.iife.min.js": { file: path.join(uplotDir, "uPlot.iife.min.js"), type: contentTypes[".js"] as string },
  "/vendor/uPlot.min.css": { file: path.join(uplotDir, "uPlot.min.css"), type: contentTypes[".css"] as string },
};

/**
 * Panels whose data other parts of the lab will provide (the lease, quorum replicas).
 * Until one registers, its endpoint says so instead of showing made-up data.
 */
export type PanelSource = () => Promise<Record<string, unknown>>;

const maxBodyBytes = 4096;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes)
      throw new ControlError("payload_too_large", `the body is larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ControlError("bad_request", "the body is not valid JSON");
  }
}

function allow(req: IncomingMessage, ...methods: string[]): void {
  if (!methods.includes(req.method ?? "")) throw new ControlError("method_not_allowed", `use ${methods.join(" or ")}`);
}

/**
 * The API has no authentication: it listens on loopback only, and it refuses what a web
 * page elsewhere could make a browser send — a Host that is not ours (DNS rebinding), a
 * write from another Origin, a write that is not JSON (which a form cannot send). The
 * proxy's admin API uses the same guard.
 */
function checkCaller(req: IncomingMessage): void {
  const refusal = refuseNonLocal(req);
  if (refusal) throw new ControlError(refusal.code, refusal.message);
}

function streamEvents(dashboard: Dashboard, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  const push = (snapshot: unknown) => res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  const unsubscribe = dashboard.subscribe(push);
  dashboard.snapshot().then(push, () => {});
  req.on("close", unsubscribe);
}

async function route(
  dashboard: Dashboard,
  panels: Record<string, PanelSource>,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const pathname = new URL(req.url ?? "/", "http://dashboard").pathname;
  const asset = staticFiles[pathname];
  if (asset) {
    allow(req, "GET");
    const body = await readFile(asset.file);
    res.writeHead(200, { "content-type": asset.type, "content-length": body.length, "cache-control": "no-cache" });
    return res.end(body);
  }
  if (pathname === "/api/events") {
    allow(req, "GET");
    return streamEvents(dashboard, req, res);
  }
  if (pathname === "/api/state") {
    allow(req, "GET");
    return send(res, 200, await dashboard.snapshot());
  }
  if (pathname === "/api/faults") {
    allow(req, "GET", "POST");
    if (req.method === "GET") return send(res, 200, { faults: dashboard.control.records() });
    const fault = await dashboard.control.apply(parseFaultRequest(await readJson(req)));
    return send(res, 200, { fault });
  }
  if (pathname === "/api/traffic") {
    allow(req, "GET", "POST", "DELETE");
    if (req.method === "POST") dashboard.traffic.start(parseTrafficSettings(await readJson(req)));
    if (req.method === "DELETE") dashboard.traffic.stop();
    return send(res, req.method === "POST" ? 202 : 200, { traffic: dashboard.traffic.view() });
  }
  const panel = /^\/api\/panels\/([a-z]+)$/.exec(pathname)?.[1];
  if (panel !== undefined && panel in panels) {
    allow(req, "GET");
    return send(res, 200, await (panels[panel] as PanelSource)());
  }
  throw new ControlError("not_found", "no such route");
}

/** The panels' answers when `up` gives no source for them (up gives the lease one; quorum only with its store). */
export const notRunningPanels: Record<string, PanelSource> = {
  lease: async () => ({ status: "not running", detail: "this lab runs no lease holder" }),
  quorum: async () => ({
    status: "not running",
    detail: "the sessions are not in quorum replicas (npm start -- --session-store quorum)",
  }),
};

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the page, its JSON API and the event stream on 127.0.0.1:`port` (0 = a free port). */
export async function serveDashboard(
  dashboard: Dashboard,
  port: number,
  panels: Record<string, PanelSource> = notRunningPanels,
): Promise<DashboardServer> {
  const server: Server = createServer((req, res) => {
    Promise.resolve()
      .then(() => checkCaller(req))
      .then(() => route(dashboard, panels, req, res))
      .catch((error: unknown) => {
        const known =
          error instanceof ControlError
            ? error
            : new ControlError("internal", String((error as Error).message ?? error).split("\n")[0] as string);
        if (res.headersSent) return res.destroy();
        send(res, known.status, { error: { code: known.code, message: known.message } });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const boundPort = address && typeof address === "object" ? address.port : port;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    async close() {
      // The event streams never end by themselves.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
