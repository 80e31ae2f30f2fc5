import { randomBytes } from "node:crypto";
import { Agent, fetch } from "undici";

export type AuthKind = "cookie" | "bearer";

export interface Reply {
  status: number;
  /** Parsed JSON, or null for an empty or non-JSON body. */
  body: Record<string, unknown> | null;
  instance: string | null;
  code: string | null;
}

/** Keeps a cookie jar the way a browser would: Max-Age=0 or a past Expires deletes. */
export function absorbSetCookies(jar: Map<string, string>, setCookies: string[]): void {
  for (const line of setCookies) {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = "", raw = ""] = attribute.split("=").map((part) => part.trim());
      if (key.toLowerCase() === "max-age") return Number(raw) <= 0;
      if (key.toLowerCase() === "expires") return Date.parse(raw) <= Date.now();
      return false;
    });
    if (expired || value === "") jar.delete(name);
    else jar.set(name, value);
  }
}

let usersMade = 0;

/**
 * Each lab user comes from a loopback address of its own (127.1.0.1, 127.1.0.2, … up to
 * 65,024 of them), as real users come from addresses of their own: its signups and failed
 * logins count against its own address's limits and share of the hash queue, not against
 * one address every virtual user of the lab would otherwise share.
 */
export function nextUserAddress(): string {
  const n = usersMade++ % (254 * 256);
  return `127.1.${Math.floor(n / 254)}.${(n % 254) + 1}`;
}

/**
 * One user of the lab, as a browser tab or an API client would be: a cookie jar
 * and the CSRF token (stateful), or an access and refresh token (stateless).
 * It speaks the API both backends share.
 */
export class LabUser {
  readonly kind: AuthKind;
  readonly username: string;
  readonly password: string;
  /** The loopback address its requests come from (nextUserAddress). */
  readonly address: string;
  readonly #dispatcher: Agent;
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;
  accessToken: string | null = null;
  refreshToken: string | null = null;

  constructor(kind: AuthKind, username: string, password: string, from?: { address: string; dispatcher: Agent }) {
    this.kind = kind;
    this.username = username;
    this.password = password;
    this.address = from?.address ?? nextUserAddress();
    // Idle sockets close after a second: a run makes many users and keeps none of them long.
    this.#dispatcher = from?.dispatcher ?? new Agent({ localAddress: this.address, keepAliveTimeout: 1000 });
  }

  /** Another tab of the same browser, holding exactly the same credentials right now (and the same address). */
  clone(): LabUser {
    const copy = new LabUser(this.kind, this.username, this.password, {
      address: this.address,
      dispatcher: this.#dispatcher,
    });
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    copy.csrfToken = this.csrfToken;
    copy.accessToken = this.accessToken;
    copy.refreshToken = this.refreshToken;
    return copy;
  }

  /** The headers this user sends with a request. */
  headers(method = "GET"): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    }
    if (this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    if (this.csrfToken && method !== "GET" && method !== "HEAD") headers["x-csrf-token"] = this.csrfToken;
    return headers;
  }

  absorb(setCookies: string[]): void {
    absorbSetCookies(this.cookies, setCookies);
  }

  async call(baseUrl: string, method: string, path: string, body?: object): Promise<Reply> {
    const headers = this.headers(method);
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
      dispatcher: this.#dispatcher,
    });
    this.absorb(res.headers.getSetCookie());
    const text = await res.text();
    let parsed: Record<string, unknown> | null = null;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    } catch {
      parsed = null;
    }
    const error = parsed?.error as { code?: unknown } | undefined;
    return {
      status: res.status,
      body: parsed,
      instance: res.headers.get("x-instance-id"),
      code: typeof error?.code === "string" ? error.code : null,
    };
  }

  async signup(baseUrl: string): Promise<Reply> {
    return this.call(baseUrl, "POST", "/auth/signup", { username: this.username, password: this.password });
  }

  /** Logs in and keeps what the backend hands out; throws unless 200. */
  async login(baseUrl: string): Promise<Reply> {
    const reply = await this.call(baseUrl, "POST", "/auth/login", { username: this.username, password: this.password });
    if (reply.status !== 200 || !reply.body)
      throw new Error(`login of ${this.username} failed: ${reply.status} ${reply.code}`);
    if (this.kind === "cookie") this.csrfToken = String(reply.body.csrfToken);
    else this.adoptTokens(reply.body);
    return reply;
  }

  /** Rotates the refresh token; keeps the new pair on 200. */
  async refresh(baseUrl: string): Promise<Reply> {
    const reply = await this.call(baseUrl, "POST", "/auth/refresh", { refreshToken: this.refreshToken });
    if (reply.status === 200 && reply.body) this.adoptTokens(reply.body);
    return reply;
  }

  private adoptTokens(body: Record<string, unknown>): void {
    this.accessToken = String(body.accessToken);
    this.refreshToken = String(body.refreshToken);
  }
}

/** Runs `task` over `items`, at most `limit` at a time (argon2 logins are CPU-bound). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Signs up `count` fresh users (unique names) through `baseUrl`, without logging them in. */
export async function signUpUsers(baseUrl: string, kind: AuthKind, count: number, label = "lab"): Promise<LabUser[]> {
  const run = randomBytes(3).toString("hex");
  const users = Array.from({ length: count }, (_, i) => new LabUser(kind, `${label}_${run}_${i}`, "lab-password-1"));
  await mapLimit(users, 4, async (user) => {
    const signup = await user.signup(baseUrl);
    if (signup.status !== 201) throw new Error(`signup of ${user.username} failed: ${signup.status} ${signup.code}`);
  });
  return users;
}

/** Signs up `count` fresh users (unique names) and logs each in through `baseUrl`. */
export async function createUsers(baseUrl: string, kind: AuthKind, count: number, label = "lab"): Promise<LabUser[]> {
  const users = await signUpUsers(baseUrl, kind, count, label);
  await mapLimit(users, 4, (user) => user.login(baseUrl));
  return users;
}

/** The reply, or status 0 and code "no_answer" when the request got none (refused, reset, timed out). */
export function answerOf(reply: Promise<Reply>): Promise<Reply> {
  return reply.catch(() => ({ status: 0, body: null, instance: null, code: "no_answer" }));
}
