import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import { instanceIdOf } from "./app.js";
import type { Logger } from "./logger.js";

export interface ServeOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** Closes pools and clients after the last in-flight request finished. */
  onClose?: () => Promise<void>;
  /** In-flight requests get this long after shutdown starts; then their sockets are cut. */
  shutdownTimeoutMs?: number;
  /** Larger request heads get 431 from Node before express sees them. */
  maxHeaderBytes?: number;
}

export interface RunningServer {
  server: http.Server;
  port: number;
  url: string;
  /** Stop accepting, let in-flight requests finish (bounded), then run onClose. Idempotent. */
  close(): Promise<void>;
}

function clientErrorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Listens on loopback by default and owns graceful shutdown. Only main.ts calls this. */
export function serve(app: Express, options: ServeOptions): Promise<RunningServer> {
  const server = http.createServer({ maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024 }, app);
  // Above the proxy's idle timeout, so the proxy, not the app, closes idle upstream connections.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Express never sees these requests, so its X-Instance-Id middleware does not run: the
  // raw answer carries the header itself (the id was checked against [A-Za-z0-9._-] when
  // the app was built, so it cannot inject a header). The request id is always new: the
  // request's own headers are what failed to parse.
  const instanceId = instanceIdOf(app);
  const instanceHeader = instanceId === undefined ? "" : `X-Instance-Id: ${instanceId}\r\n`;
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
    const body = tooLarge
      ? clientErrorBody("header_too_large", "request headers are too large")
      : clientErrorBody("invalid_request", "malformed HTTP request");
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${instanceHeader}X-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  // Node leaves a keep-alive connection open after the response that was in flight at close(),
  // so close() would wait for the timeout and then cut it: once closing, answer Connection: close.
  let isClosing = false;
  const inFlight = new Set<http.ServerResponse>();
  server.prependListener("request", (_req, res) => {
    if (isClosing) res.setHeader("Connection", "close");
    inFlight.add(res);
    res.once("close", () => inFlight.delete(res));
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      isClosing = true;
      for (const res of inFlight) {
        if (!res.headersSent) res.setHeader("Connection", "close");
        else res.once("finish", () => server.closeIdleConnections());
      }
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs ?? 10_000);
      await done;
      clearTimeout(timer);
      await options.onClose?.();
    })();
    return closing;
  };

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      const { port, address } = server.address() as AddressInfo;
      options.logger.info({ port, address }, "listening");
      // An IPv6 address needs brackets in a URL (http://[::1]:4101).
      const hostname = address.includes(":") ? `[${address}]` : address;
      resolve({ server, port, url: `http://${hostname}:${port}`, close });
    });
  });
}

/** SIGTERM/SIGINT → graceful close → exit 0; a second signal exits at once. */
export function closeOnSignals(running: RunningServer, logger: Logger): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) process.exit(1);
    received = true;
    logger.info({ signal }, "shutting down");
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}
