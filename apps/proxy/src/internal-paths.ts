/** Instance endpoints that are for operators, not for the public side of the proxy. */
export type InternalPath = "metrics" | "lease" | "readyz";

const internal = new Set<string>(["metrics", "lease", "readyz"]);

/**
 * Which internal endpoint a request target would reach on a backend, if any. Express
 * matches routes case-insensitively and ignores a trailing slash, so `/METRICS/` reaches
 * `/metrics` there; percent-escapes and doubled slashes are folded too. Matching more
 * than the backend would is harmless: such a path only ever gets this proxy's 404.
 */
export function internalPathOf(target: string): InternalPath | null {
  let path = target.split(/[?#]/, 1)[0] ?? "";
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape: match on the raw text, which the backend cannot route either.
  }
  const name = path
    .toLowerCase()
    .replace(/\/+/g, "/")
    .replace(/^\/|\/$/g, "");
  return internal.has(name) ? (name as InternalPath) : null;
}
