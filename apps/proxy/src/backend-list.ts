import { ProxyConfigError } from "./errors.js";

/** One upstream as configured: a stable id (it is also the sticky cookie's value) and an origin. */
export interface BackendSpec {
  readonly id: string;
  /** `http://host:port`, no path. */
  readonly origin: string;
  readonly host: string;
  readonly port: number;
}

/** Ids travel in a cookie and in HAProxy/nginx configs, so keep them to a safe token. */
export const backendIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `id=http://127.0.0.1:4101,http://127.0.0.1:4102` (ids optional: unnamed ones
 * become s1, s2… by position). One list feeds the built-in proxy and the HAProxy/nginx
 * renderers so the three never disagree.
 */
export function parseBackendList(text: string): BackendSpec[] {
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0) throw new ProxyConfigError(["the backend list is empty"]);
  return validateBackends(
    items.map((item, index) => {
      const eq = item.indexOf("=");
      return eq > 0 ? { id: item.slice(0, eq), url: item.slice(eq + 1) } : { id: `s${index + 1}`, url: item };
    }),
  );
}

/** Checks ids and URLs; throws one error naming every bad entry. */
export function validateBackends(entries: readonly { id: string; url: string }[]): BackendSpec[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const specs: BackendSpec[] = [];
  if (entries.length === 0) problems.push("at least one backend is required");
  for (const { id, url } of entries) {
    if (!backendIdPattern.test(id)) problems.push(`backend id "${id}" must match ${backendIdPattern}`);
    if (seen.has(id)) problems.push(`backend id "${id}" appears twice`);
    seen.add(id);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // reported below
    }
    if (parsed?.protocol !== "http:" || parsed.username || parsed.password || parsed.search) {
      problems.push(`backend "${id}" needs a plain http://host:port URL (got "${url}")`);
      continue;
    }
    if (parsed.pathname !== "/") problems.push(`backend "${id}" URL must not have a path (got "${url}")`);
    const port = parsed.port === "" ? 80 : Number(parsed.port);
    specs.push({ id, origin: parsed.origin, host: parsed.hostname, port });
  }
  if (problems.length > 0) throw new ProxyConfigError(problems);
  return specs;
}
