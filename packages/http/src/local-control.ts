import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** Why a request to a loopback control API was refused, for the caller to send in its own error shape. */
export interface LocalControlRefusal {
  readonly status: 403 | 415;
  readonly code: "forbidden" | "unsupported_media_type";
  readonly message: string;
}

const READS = new Set(["GET", "HEAD"]);

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return address === "::1";
}

/** The Host values a loopback listener on `port` is reached by; anything else is DNS rebinding or a mistake. */
export function loopbackHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/**
 * The guard of every unauthenticated control API (the dashboard's, the proxy's admin):
 * they listen on loopback and refuse what a web page elsewhere can make a browser send.
 * A peer that is not loopback (a listener bound wider by mistake); a Host that is not
 * the listener's own (DNS rebinding: a page on evil.example resolving to 127.0.0.1 can
 * read and write otherwise); on writes, an Origin other than our own or a
 * Sec-Fetch-Site other than same-origin/none (a cross-site page); and a write that is
 * not `application/json` — the content types a page can send without a CORS preflight
 * are only form and text ones, so no "simple request" reaches a handler, even a
 * body-less POST. The Host must name the port the request arrived on. Returns null when
 * the request may proceed.
 */
export function refuseNonLocal(req: IncomingMessage): LocalControlRefusal | null {
  if (!isLoopbackAddress(req.socket.remoteAddress)) {
    return { status: 403, code: "forbidden", message: "only loopback clients may use this API" };
  }
  const hosts = loopbackHosts(req.socket.localPort ?? 0);
  if (!hosts.includes(req.headers.host ?? "")) {
    return { status: 403, code: "forbidden", message: "unexpected Host header" };
  }
  if (READS.has(req.method ?? "GET")) return null;
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.some((host) => origin === `http://${host}`)) {
    return { status: 403, code: "forbidden", message: "cross-origin write" };
  }
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    return { status: 403, code: "forbidden", message: "cross-site write" };
  }
  if (!/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) {
    return {
      status: 415,
      code: "unsupported_media_type",
      message: "send writes with content-type: application/json",
    };
  }
  return null;
}
