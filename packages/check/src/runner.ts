import { randomBytes } from "node:crypto";
import { CheckFailure } from "./assert.js";
import { allChecks } from "./checks/index.js";
import { PASSWORD } from "./checks/support.js";
import { type Credentials, createClient } from "./client.js";
import { pickSigningKey, type SigningKey } from "./jwt.js";
import { defaultMapping, type Mapping } from "./mapping.js";
import { AREAS, type Check, type CheckContext, type CheckResult, type Kind, SkipError } from "./types.js";

export interface CheckTarget {
  /** e.g. http://127.0.0.1:8082; a path prefix is kept. */
  baseUrl: string;
  kind: Kind;
  mapping?: Mapping;
  /** Log in as this account instead of signing users up (checks that need their own users are skipped). */
  user?: Credentials;
  /** The server's private signing keys, for the checks that forge validly signed tokens. */
  signingKeys?: readonly SigningKey[];
}

/** Every username the checker makes starts with this, so they are easy to find and remove. */
export const USERNAME_PREFIX = "slck_";
const CHECK_TIMEOUT_MS = 60_000;

/** The checks for a kind, narrowed by --only / --skip; unknown ids are an error naming them. */
export function selectChecks(kind: Kind, only: readonly string[] = [], skip: readonly string[] = []): Check[] {
  const known = new Set(allChecks.map((check) => check.id));
  const unknown = [...only, ...skip].filter((id) => !known.has(id));
  if (unknown.length > 0) throw new Error(`unknown check id: ${unknown.join(", ")} (--list shows them)`);
  return allChecks
    .filter((check) => check.kinds.includes(kind))
    .filter((check) => only.length === 0 || only.includes(check.id))
    .filter((check) => !skip.includes(check.id))
    .sort((a, b) => AREAS.indexOf(a.area) - AREAS.indexOf(b.area));
}

/** The context every check of one run shares, and the cleanup that logs out what the checks left logged in. */
export function createCheckContext(target: CheckTarget): { ctx: CheckContext; cleanup: () => Promise<void> } {
  const baseUrl = target.baseUrl.replace(/\/+$/, "");
  const mapping = target.mapping ?? defaultMapping;
  const client = createClient(target.kind, baseUrl, mapping);
  const uniqueName = () => `${USERNAME_PREFIX}${randomBytes(6).toString("hex")}`;
  const route: CheckContext["route"] = (name) => {
    const path = mapping.routes[name];
    if (path === null) throw new SkipError(`the mapping has no ${name} route`);
    return path;
  };
  const newUser = async () => {
    if (target.user) throw new SkipError("signs up a user of its own (off with --user)");
    const credentials = { username: uniqueName(), password: PASSWORD };
    const res = await client.signup(credentials);
    if (res.status !== 201)
      throw new CheckFailure(`signup of a fresh user failed: ${res.status} ${res.text.slice(0, 120)}`);
    return credentials;
  };
  let shared: Promise<Credentials> | undefined;
  const ctx: CheckContext = {
    kind: target.kind,
    baseUrl,
    mapping,
    client,
    route,
    signups: target.user === undefined,
    newUser: () => {
      route("signup");
      return newUser();
    },
    user: () => {
      // One signup shared by the run: most checks only log this user in and out.
      shared ??= target.user ? Promise.resolve(target.user) : newUser();
      return shared;
    },
    uniqueName,
    signingKey(kid) {
      if (!target.signingKeys?.length) throw new SkipError("needs --signing-key (the server's private key)");
      const key = pickSigningKey(target.signingKeys, kid);
      if (!key) throw new CheckFailure(`--signing-key has no key with kid ${String(kid)}`);
      return key;
    },
  };
  return { ctx, cleanup: () => client.cleanup() };
}

/** Runs one check to a result; never throws. */
export async function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  const start = performance.now();
  const result = (status: CheckResult["status"], reason?: string): CheckResult => ({
    id: check.id,
    area: check.area,
    title: check.title,
    status,
    ...(reason === undefined ? {} : { reason }),
    durationMs: Math.round(performance.now() - start),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CheckFailure(`no verdict after ${CHECK_TIMEOUT_MS / 1000} s`)),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([check.run(ctx), timeout]);
    return result("pass");
  } catch (error) {
    if (error instanceof SkipError) return result("skip", error.message);
    const message = error instanceof Error ? error.message : String(error);
    // Network errors (refused, reset, timeout) are failures too, named as such.
    return result("fail", error instanceof CheckFailure ? message : `error: ${message}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the selected checks one after another (the timing check needs a quiet
 * server), then logs out every session they opened.
 */
export async function runChecks(
  target: CheckTarget,
  checks: readonly Check[],
  onResult: (result: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const { ctx, cleanup } = createCheckContext(target);
  const results: CheckResult[] = [];
  try {
    for (const check of checks) {
      const result = await runCheck(check, ctx);
      results.push(result);
      onResult(result);
    }
  } finally {
    await cleanup();
  }
  return results;
}
