import request, { type Response, type Test } from "supertest";
import type { Mapping } from "./mapping.js";
import type { Kind } from "./types.js";

export interface Credentials {
  username: string;
  password: string;
}

/** What a login handed the client, kept as sent so it can be replayed after logout. */
export interface Credential {
  /** Cookie servers: every cookie the login set, as one Cookie header. */
  cookie?: string;
  csrfToken?: string;
  /** Bearer servers. */
  accessToken?: string;
  refreshToken?: string;
}

export interface Session {
  readonly user: { id: string; username: string };
  readonly credential: Credential;
  /** The login response itself (Set-Cookie, tokens). */
  readonly response: Response;
  get(path: string): Test;
  post(path: string, body?: object): Test;
  patch(path: string, body: object): Test;
  delete(path: string): Test;
}

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE" | "TRACE";

/**
 * How the checks talk to one kind of server, by URL with supertest. The cookie
 * client sends the cookies login set and the CSRF token on writes; the bearer
 * client sends `Authorization: Bearer`. Everything else in the checks is shared.
 */
export interface AuthClient {
  readonly kind: Kind;
  /** A request with no credential. */
  request(method: Method, path: string): Test;
  /** A request carrying exactly `credential` (plus the CSRF header on writes, for cookie servers). */
  as(credential: Credential, method: Method, path: string): Test;
  signup(credentials: Credentials): Test;
  /** The raw login request, for asserting on failures; `cookie` is sent along when given. */
  loginRequest(credentials: Credentials, cookie?: string): Test;
  /** Logs in (expects 200) and returns the session. */
  login(credentials: Credentials): Promise<Session>;
  /** Logs out every session this client opened that may still be live. */
  cleanup(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 15_000;
const WRITES = new Set<Method>(["POST", "PATCH", "PUT", "DELETE"]);

/** Every `name=value` a response set, as one Cookie header. */
export function cookiesOf(res: Response): string {
  const raw = res.headers["set-cookie"] as unknown;
  const lines = Array.isArray(raw) ? (raw as string[]) : typeof raw === "string" ? [raw] : [];
  return lines
    .map((line) => line.split(";")[0]?.trim() ?? "")
    .filter((pair) => pair.includes("=") && !pair.endsWith("="))
    .join("; ");
}

function open(baseUrl: string, method: Method, path: string): Test {
  const http = request(baseUrl);
  switch (method) {
    case "GET":
      return http.get(path);
    case "POST":
      return http.post(path);
    case "PATCH":
      return http.patch(path);
    case "PUT":
      return http.put(path);
    case "DELETE":
      return http.delete(path);
    case "TRACE":
      return http.trace(path);
  }
}

/** A client for a server of `kind` at `baseUrl` (no trailing slash; a path prefix is kept). */
export function createClient(kind: Kind, baseUrl: string, mapping: Mapping): AuthClient {
  const { fields, routes } = mapping;
  const opened: Session[] = [];
  const bare = (method: Method, path: string): Test => open(baseUrl, method, path).timeout(REQUEST_TIMEOUT_MS);
  const as = (credential: Credential, method: Method, path: string): Test => {
    const test = bare(method, path);
    if (credential.accessToken !== undefined) test.set("Authorization", `Bearer ${credential.accessToken}`);
    if (credential.cookie) test.set("Cookie", credential.cookie);
    if (credential.csrfToken !== undefined && WRITES.has(method)) test.set(mapping.csrfHeader, credential.csrfToken);
    return test;
  };
  const body = (credentials: Credentials) => ({
    [fields.username]: credentials.username,
    [fields.password]: credentials.password,
  });
  const loginPath = routes.login as string;

  return {
    kind,
    request: bare,
    as,
    signup: (credentials) => bare("POST", routes.signup ?? "/").send(body(credentials)),
    loginRequest: (credentials, cookie) => {
      const test = bare("POST", loginPath);
      if (cookie) test.set("Cookie", cookie);
      return test.send(body(credentials));
    },
    async login(credentials) {
      const res = await bare("POST", loginPath).send(body(credentials));
      if (res.status !== 200) {
        throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
      const credential: Credential =
        kind === "cookie"
          ? { cookie: cookiesOf(res), csrfToken: res.body[fields.csrfToken] }
          : { accessToken: res.body[fields.accessToken], refreshToken: res.body[fields.refreshToken] };
      const session: Session = {
        user: res.body[fields.user] ?? { id: "", username: credentials.username },
        credential,
        response: res,
        get: (path) => as(credential, "GET", path),
        post: (path, payload) => as(credential, "POST", path).send(payload ?? {}),
        patch: (path, payload) => as(credential, "PATCH", path).send(payload),
        delete: (path) => as(credential, "DELETE", path),
      };
      opened.push(session);
      return session;
    },
    async cleanup() {
      if (!routes.logout) return;
      const logout = routes.logout;
      // Sessions a check already ended answer 401 here; that is fine.
      await Promise.all(opened.splice(0).map((session) => session.post(logout).then(undefined, () => undefined)));
    },
  };
}
