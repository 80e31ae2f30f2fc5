import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** RFC 9110 §7.6.1 connection-specific fields plus the legacy ones proxies still see; never forwarded. */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  // Node answers 100-continue itself; undici refuses to send Expect upstream.
  "expect",
]);

const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** Keeps a caller's id when it is a short safe token (so logs join up), else makes one. */
export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === "string" && requestIdPattern.test(incoming) ? incoming : randomUUID();
}

// A host name, IPv4 or a bracketed IPv6 literal, with an optional port.
const hostPattern =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

export function isValidHost(host: string): boolean {
  return host.length <= 255 && hostPattern.test(host);
}

function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (!value) return undefined;
  return new Set(value.split(",").map((token) => token.trim().toLowerCase()));
}

/** Normalises `::ffff:1.2.3.4` so IPv4 clients hash and log the same on dual-stack sockets. */
function plainAddress(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * The client's address as this proxy may honestly state it: the peer it saw. Behind a
 * trusted hop (`trustForwarded`: a TLS terminator that itself replaces X-Forwarded-For),
 * the last address that hop wrote — the peer *it* saw; anything left of it came from the
 * client and is never believed.
 */
export function clientIpOf(req: IncomingMessage, trustForwarded = false): string {
  const peer = plainAddress(req.socket.remoteAddress ?? "");
  if (!trustForwarded) return peer;
  const header = req.headers["x-forwarded-for"];
  const last = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").at(-1)?.trim() ?? "";
  return isIP(last) === 0 ? peer : plainAddress(last);
}

/** Headers in which a client names a client address; only this proxy may set them upstream. */
const clientAddressHeaders = new Set(["x-forwarded-for", "forwarded", "x-real-ip"]);

export interface UpstreamRequest {
  /** Flat [name, value, …] list, the order the client sent them in. */
  readonly headers: string[];
  readonly pinnedId: string | undefined;
  readonly hostCount: number;
  readonly host: string | undefined;
}

export interface ForwardOptions {
  readonly cookieName: string;
  readonly trustForwarded: boolean;
  readonly hasBody: boolean;
}

/**
 * Builds the upstream header list: drops hop-by-hop fields (and any the client named in
 * Connection) and every client-address header, removes the sticky cookie so backends
 * never see routing state, and sets X-Forwarded-For (the client address, alone),
 * X-Forwarded-Proto/-Host and X-Request-Id.
 */
export function upstreamRequest(
  req: IncomingMessage,
  requestId: string,
  clientIp: string,
  options: ForwardOptions,
): UpstreamRequest {
  const raw = req.rawHeaders;
  const named = connectionTokens(req.headers.connection);
  const headers: string[] = [];
  let pinnedId: string | undefined;
  let hostCount = 0;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || named?.has(lower) || clientAddressHeaders.has(lower)) continue;
    switch (lower) {
      case "host":
        hostCount++;
        host = value;
        break;
      case "x-request-id":
        continue;
      case "x-forwarded-proto":
      case "x-forwarded-host":
        // Only a proxy in front of us may say what the client used; from a client it is a lie.
        if (!options.trustForwarded) continue;
        break;
      case "content-length":
        if (!options.hasBody) continue;
        break;
      case "cookie": {
        const taken = takeCookie(value, options.cookieName);
        if (taken.value !== undefined) pinnedId = taken.value;
        if (taken.rest === "") continue;
        headers.push(name, taken.rest);
        continue;
      }
    }
    headers.push(name, value);
  }
  // Replaced, never appended: a client-written X-Forwarded-For (or Forwarded, X-Real-IP) would
  // otherwise let it choose the address every per-IP limit behind us counts (A5).
  headers.push("x-forwarded-for", clientIp);
  if (!options.trustForwarded || req.headers["x-forwarded-proto"] === undefined)
    headers.push("x-forwarded-proto", "http");
  if ((!options.trustForwarded || req.headers["x-forwarded-host"] === undefined) && host !== undefined)
    headers.push("x-forwarded-host", host);
  headers.push("x-request-id", requestId);
  return { headers, pinnedId, hostCount, host };
}

/** Splits one cookie out of a Cookie header; `rest` is the header without it. */
export function takeCookie(header: string, name: string): { value: string | undefined; rest: string } {
  if (!header.includes(name)) return { value: undefined, rest: header };
  let value: string | undefined;
  const kept: string[] = [];
  for (const part of header.split(";")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    if (eq > 0 && trimmed.slice(0, eq).trim() === name) value = trimmed.slice(eq + 1).trim();
    else kept.push(trimmed);
  }
  return { value, rest: kept.join("; ") };
}

/** Upstream response headers minus hop-by-hop ones, ready for `res.writeHead`. */
export function downstreamHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const named = connectionTokens(typeof headers.connection === "string" ? headers.connection : undefined);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || hopByHop.has(name) || named?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** The Set-Cookie value that pins a client, in the shape HAProxy's `insert indirect nocache httponly` emits. */
export function pinCookie(name: string, backendId: string): string {
  return `${name}=${backendId}; Path=/; HttpOnly; SameSite=Lax`;
}
