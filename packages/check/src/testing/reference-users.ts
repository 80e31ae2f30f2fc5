import { randomBytes, randomUUID, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { ConflictError, RateLimitedError, UnauthenticatedError, ValidationError } from "@statelab/http";
import type { Defence } from "./defences.js";

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  opts: object,
) => Promise<Buffer>;
/**
 * A real (cheap) scrypt that always takes at least 40 ms: a password hash's
 * cost as wall time, the same on any machine, so skipping it for unknown users
 * shows in the timing check everywhere, while the CPU stays free for the suite.
 */
const HASH_MS = 40;
const hash = async (password: string, salt: Buffer) => {
  const [digest] = await Promise.all([
    scryptAsync(password, salt, 32, { N: 2 ** 10, r: 8, p: 1 }),
    new Promise((resolve) => setTimeout(resolve, HASH_MS)),
  ]);
  return digest;
};
const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60_000;

export interface RefUser {
  id: string;
  username: string;
  displayName: string | null;
  version: number;
  salt: Buffer;
  hash: Buffer;
}

export const publicUser = (u: RefUser) => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  version: u.version,
});

const key = (username: string) => username.normalize("NFKC").toLowerCase();
const USERNAME = /^[\p{L}\p{M}\p{N}._-]{3,32}$/u;

/**
 * The reference server's accounts, in memory: scrypt hashes, one dummy hash for
 * unknown users, a failed-login throttle per username + IP. Each defence can be
 * switched off for a fixture.
 */
export function createRefUsers(without: Defence | undefined) {
  const users = new Map<string, RefUser>();
  const failures = new Map<string, { count: number; resetAt: number }>();
  const dummy = { salt: randomBytes(16), hash: randomBytes(32) };

  async function matches(stored: { salt: Buffer; hash: Buffer }, password: string) {
    return timingSafeEqual(await hash(password, stored.salt), stored.hash);
  }

  return {
    byId: (id: string) => [...users.values()].find((u) => u.id === id),
    async signup(body: unknown) {
      const { username, password } = (body ?? {}) as Record<string, unknown>;
      const keys = Object.keys((body ?? {}) as object);
      if (typeof username !== "string" || typeof password !== "string" || keys.length !== 2)
        throw new ValidationError("username and password, nothing else");
      const name = username.normalize("NFKC");
      if (!USERNAME.test(name)) throw new ValidationError("bad username");
      if ([...password].length < 8 || [...password].length > 128) throw new ValidationError("bad password");
      if (users.has(key(name))) throw new ConflictError("username_taken");
      const salt = randomBytes(16);
      const digest = await hash(password, salt);
      const user: RefUser = { id: randomUUID(), username: name, displayName: null, version: 1, salt, hash: digest };
      users.set(key(name), user);
      return user;
    },
    async login(body: unknown, ip: string): Promise<RefUser> {
      const { username, password } = (body ?? {}) as Record<string, unknown>;
      const keys = Object.keys((body ?? {}) as object);
      if (typeof username !== "string" || typeof password !== "string" || keys.length !== 2)
        throw new ValidationError("username and password, nothing else");
      const counter = `${key(username)}|${ip}`;
      const seen = failures.get(counter);
      if (without !== "rateLimit" && seen && seen.resetAt > Date.now() && seen.count >= MAX_FAILURES)
        throw new RateLimitedError((seen.resetAt - Date.now()) / 1000);
      const user = users.get(key(username));
      const ok = user ? await matches(user, password) : without !== "dummyHash" && (await matches(dummy, password));
      if (!user || !ok) {
        const current = seen && seen.resetAt > Date.now() ? seen : { count: 0, resetAt: Date.now() + WINDOW_MS };
        failures.set(counter, { ...current, count: current.count + 1 });
        const enumerates = !user && without === "sameLoginError";
        const message = enumerates ? "no such user" : "invalid username or password";
        throw new UnauthenticatedError("invalid_credentials", { message });
      }
      failures.delete(counter);
      return user;
    },
  };
}

export type RefUsers = ReturnType<typeof createRefUsers>;
