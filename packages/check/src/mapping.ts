import { readFileSync } from "node:fs";

/**
 * Where the checker finds each route and field. The defaults are statelab's API
 * (DESIGN.md's table); a mapping file overrides any of them, and a route set to
 * null is one the server does not have (the checks that need it are skipped).
 */
export interface Mapping {
  routes: Record<RouteName, string | null>;
  fields: Record<FieldName, string>;
  /** Header that carries the CSRF token on writes (cookie servers). */
  csrfHeader: string;
  /** Name of the session cookie (cookie servers); `__Host-<name>` is accepted too. */
  cookie: string;
  /** The server's error code for each of statelab's (`error.code` in the body). */
  codes: Record<ErrorName, string>;
}

export type RouteName =
  | "signup"
  | "login"
  | "refresh"
  | "logout"
  | "logoutAll"
  | "sessions"
  | "me"
  | "jwks"
  | "chatPartners"
  | "health"
  | "ready";

export type FieldName =
  | "username"
  | "password"
  | "user"
  | "accessToken"
  | "refreshToken"
  | "csrfToken"
  | "sessions"
  | "displayName"
  | "version";

const ERROR_NAMES = [
  "invalid_request",
  "malformed_json",
  "unsupported_media_type",
  "payload_too_large",
  "not_found",
  "method_not_allowed",
  "unauthenticated",
  "invalid_credentials",
  "refresh_reused",
  "csrf_failed",
  "username_taken",
  "version_conflict",
  "rate_limited",
] as const;
export type ErrorName = (typeof ERROR_NAMES)[number];

export const defaultMapping: Mapping = Object.freeze({
  routes: {
    signup: "/auth/signup",
    login: "/auth/login",
    refresh: "/auth/refresh",
    logout: "/auth/logout",
    logoutAll: "/auth/logout-all",
    sessions: "/auth/sessions",
    me: "/me",
    jwks: "/.well-known/jwks.json",
    chatPartners: "/chat/partners",
    health: "/healthz",
    ready: "/readyz",
  },
  fields: {
    username: "username",
    password: "password",
    user: "user",
    accessToken: "accessToken",
    refreshToken: "refreshToken",
    csrfToken: "csrfToken",
    sessions: "sessions",
    displayName: "displayName",
    version: "version",
  },
  csrfHeader: "X-CSRF-Token",
  cookie: "sl_sid",
  codes: Object.fromEntries(ERROR_NAMES.map((name) => [name, name])) as Record<ErrorName, string>,
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The default mapping with a file's overrides on top; throws one error naming every bad entry. */
export function parseMapping(input: unknown): Mapping {
  if (!isObject(input)) throw new Error("mapping: must be a JSON object");
  const problems: string[] = [];
  const section = <K extends string, V>(
    name: string,
    defaults: Record<K, V>,
    valid: (value: unknown) => value is V,
    what: string,
  ): Record<K, V> => {
    const given = input[name];
    if (given === undefined) return { ...defaults };
    if (!isObject(given)) {
      problems.push(`${name} must be an object`);
      return { ...defaults };
    }
    for (const [key, value] of Object.entries(given)) {
      if (!(key in defaults)) problems.push(`${name}.${key} is not a known name`);
      else if (!valid(value)) problems.push(`${name}.${key} must be ${what}`);
    }
    return { ...defaults, ...(given as Record<K, V>) };
  };
  const isPath = (value: unknown): value is string | null =>
    value === null || (typeof value === "string" && value.startsWith("/"));
  const isName = (value: unknown): value is string => typeof value === "string" && value.length > 0;
  for (const key of Object.keys(input)) {
    if (!["routes", "fields", "csrfHeader", "cookie", "codes"].includes(key))
      problems.push(`${key} is not a known key`);
  }
  const mapping: Mapping = {
    routes: section("routes", defaultMapping.routes, isPath, "a path starting with / or null"),
    fields: section("fields", defaultMapping.fields, isName, "a non-empty string"),
    codes: section("codes", defaultMapping.codes, isName, "a non-empty string"),
    csrfHeader: input.csrfHeader === undefined ? defaultMapping.csrfHeader : (input.csrfHeader as string),
    cookie: input.cookie === undefined ? defaultMapping.cookie : (input.cookie as string),
  };
  if (!isName(mapping.csrfHeader)) problems.push("csrfHeader must be a non-empty string");
  if (!isName(mapping.cookie)) problems.push("cookie must be a non-empty string");
  if (mapping.routes.login === null) problems.push("routes.login cannot be null: every check logs in");
  if (problems.length > 0) throw new Error(`mapping: ${problems.join("; ")}`);
  return mapping;
}

export function loadMapping(file: string): Mapping {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`mapping ${file}: ${(error as Error).message}`);
  }
  return parseMapping(raw);
}
