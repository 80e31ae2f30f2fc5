import type { RedisClientType as RedisClient } from "redis";
import { type Counter, createCounters, failClosed, type Lockout } from "./counters.js";
import { usernameKey } from "./credentials-schema.js";

/** The login limits (A5). Defaults are the backends' defaults; the README says why each is what it is. */
export interface LoginLimits {
  /** Failed logins per username + IP in a window; the next attempt gets 429. */
  maxFailuresPerUser: number;
  /** Failed logins per IP across all usernames (password spraying). */
  maxFailuresPerIp: number;
  /** Failed logins per account across every address (a distributed guesser); the next one locks the account for clients without its device cookie. */
  maxFailuresPerAccount: number;
  /** Failed logins per device cookie; its owner's own budget, apart from the account's lockout. */
  maxFailuresPerDevice: number;
  /** The counting window, and the first lockout's length; each further lockout within a day doubles it. */
  windowSeconds: number;
  /** The longest lockout. */
  maxLockoutSeconds: number;
}

export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({
  maxFailuresPerUser: 10,
  maxFailuresPerIp: 100,
  maxFailuresPerAccount: 20,
  maxFailuresPerDevice: 10,
  windowSeconds: 15 * 60,
  maxLockoutSeconds: 24 * 3600,
});

export interface LoginThrottleOptions extends Partial<LoginLimits> {
  redis: RedisClient;
  /** Per deployment, so two labs (or two test files) never share counters. */
  keyPrefix: string;
}

/** Who is trying: the address, and the device id of a genuine device cookie for this account (or null). */
export interface LoginAttempt {
  username: string;
  ip: string;
  deviceId: string | null;
}

/** The point an attempt took before its password was checked. A failure keeps it. */
export interface Reservation {
  /** The password was right: the points go back, and the username + IP counter starts again. */
  succeeded(): Promise<void>;
  /** No verdict (the database or the hash queue refused): every point goes back. */
  cancelled(): Promise<void>;
}

export interface LoginThrottle {
  /**
   * Takes one point from every counter this attempt counts against, atomically, before any
   * hash runs (consume-then-verify, A7); throws RateLimitedError (429 + Retry-After) when
   * one is used up or the account is locked, ServiceUnavailableError when Redis cannot say.
   */
  reserve(attempt: LoginAttempt): Promise<Reservation>;
  /** What the admin command shows: the account's lockout and counters. */
  status(username: string): Promise<{ lockedForSeconds: number; strikes: number; failures: number }>;
  /** The admin command: ends the account's lockout and forgets its failures, from every address. */
  clear(username: string): Promise<number>;
}

/**
 * Failed-login counters in the shared Redis, so every instance behind the proxy counts
 * the same points. Keys use the normalised username, so `Alice` and `ａｌｉｃｅ` share
 * them, and an unknown username is counted exactly like a known one (no enumeration).
 *
 * An attempt without a device cookie counts per username + IP, per IP and per account
 * across all addresses; the last locks the account out, for such attempts only, with a
 * lockout that doubles each time (15 min, 30 min, … a day). That lets an attacker lock a
 * victim out of new devices, which is the accepted price of bounding guesses against an
 * account no matter how many addresses they have (OWASP, NIST 800-63B §5.2.2): the owner's
 * devices that logged in before carry a device cookie and count on their own budget, so
 * they still get in, and an admin clears a lockout with `npm run throttle -- clear <name>`.
 * If Redis is down it fails closed (503): taking the store away must not buy guesses.
 */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const limits = { ...DEFAULT_LOGIN_LIMITS, ...definedOnly(options) };
  for (const name of Object.keys(DEFAULT_LOGIN_LIMITS) as (keyof LoginLimits)[]) {
    const value = limits[name];
    if (!Number.isInteger(value) || value < 1)
      throw new TypeError(`createLoginThrottle: ${name} must be a positive integer`);
  }
  const { redis } = options;
  const counters = createCounters(redis);
  const windowMs = limits.windowSeconds * 1000;
  const prefix = `${options.keyPrefix}throttle:`;
  const keys = {
    userIp: (user: string, ip: string) => `${prefix}user-ip:${user}|${ip}`,
    ip: (ip: string) => `${prefix}ip:${ip}`,
    account: (user: string) => `${prefix}account:${user}`,
    lock: (user: string) => `${prefix}lock:${user}`,
    strikes: (user: string) => `${prefix}strikes:${user}`,
    device: (id: string) => `${prefix}device:${id}`,
  };
  const counter = (key: string, limit: number): Counter => ({ key, limit, windowMs });

  function countersOf(attempt: LoginAttempt): { counted: Counter[]; lockout?: Lockout; resetOnSuccess: string[] } {
    const user = usernameKey(attempt.username);
    if (attempt.deviceId !== null) {
      // A known device: its own budget, not the account's lockout (OWASP device cookies).
      return { counted: [counter(keys.device(attempt.deviceId), limits.maxFailuresPerDevice)], resetOnSuccess: [] };
    }
    const userIp = keys.userIp(user, attempt.ip);
    return {
      counted: [
        counter(userIp, limits.maxFailuresPerUser),
        counter(keys.ip(attempt.ip), limits.maxFailuresPerIp),
        counter(keys.account(user), limits.maxFailuresPerAccount),
      ],
      lockout: {
        counter: 2,
        lockKey: keys.lock(user),
        strikesKey: keys.strikes(user),
        baseMs: windowMs,
        maxMs: limits.maxLockoutSeconds * 1000,
        memoryMs: 24 * 3600 * 1000,
      },
      // As before: a success from this address forgives its failures on this account.
      resetOnSuccess: [userIp],
    };
  }

  return {
    async reserve(attempt) {
      const { counted, lockout, resetOnSuccess } = countersOf(attempt);
      await counters.reserve(counted, lockout);
      const taken = counted.map((c) => c.key);
      return {
        async succeeded() {
          await counters.release(taken.filter((key) => !resetOnSuccess.includes(key)));
          if (resetOnSuccess.length > 0) await failClosed(() => redis.del(resetOnSuccess));
        },
        cancelled: () => counters.release(taken),
      };
    },
    status: (username) =>
      failClosed(async () => {
        const user = usernameKey(username);
        const [locked, strikes, failures] = await Promise.all([
          redis.pTTL(keys.lock(user)),
          redis.get(keys.strikes(user)),
          redis.get(keys.account(user)),
        ]);
        return {
          lockedForSeconds: locked > 0 ? Math.ceil(locked / 1000) : 0,
          strikes: Number(strikes ?? 0),
          failures: Number(failures ?? 0),
        };
      }),
    clear: (username) =>
      failClosed(async () => {
        const user = usernameKey(username);
        const perAddress: string[] = [];
        // SCAN, never KEYS: a production Redis must not stall for an admin command.
        const pattern = `${keys.userIp(user, "").replace(/[*?[\]\\]/g, "\\$&")}*`;
        for await (const batch of redis.scanIterator({ MATCH: pattern, COUNT: 500 })) {
          perAddress.push(...(batch as unknown as string[]));
        }
        return redis.del([keys.account(user), keys.lock(user), keys.strikes(user), ...perAddress]);
      }),
  };
}

/** Options left undefined keep their defaults instead of overwriting them. */
function definedOnly(options: Partial<LoginLimits>): Partial<LoginLimits> {
  return Object.fromEntries(
    Object.entries(options).filter(([name, value]) => value !== undefined && name in DEFAULT_LOGIN_LIMITS),
  );
}
