import type pg from "pg";
import { type Authenticate, createAuthenticator } from "./authenticate.js";
import type { RedisClient } from "./clients.js";
import { createDeviceCookies } from "./device-cookie.js";
import { createHashQueue, type HashQueueOptions } from "./hash-queue.js";
import { createLoginStats, type LoginStats } from "./login-stats.js";
import { createLoginThrottle, type LoginLimits, type LoginThrottle } from "./login-throttle.js";
import type { PasswordHasher } from "./passwords.js";
import { createSignupLimit, type SignupLimits } from "./signup-limit.js";
import { createPgUserStore, type User, type UserStore } from "./user-store.js";

/** Creates an account for a client address: the signup limit first, then the hash through the queue. */
export type Signup = (input: { username: string; password: string }, ip: string) => Promise<User>;

export interface Accounts {
  users: UserStore;
  authenticate: Authenticate;
  signup: Signup;
  throttle: LoginThrottle;
  loginStats: LoginStats;
}

/** The user store, signup and the throttled login check, wired the one way both backends use them. */
export function createAccounts(deps: {
  pool: pg.Pool;
  redis: RedisClient;
  hasher: PasswordHasher;
  keyPrefix: string;
  /** Signs the device cookies; shared by every instance (KEY_DIR/device-secret). */
  deviceSecret: string;
  loginLimits?: Partial<LoginLimits>;
  signupLimits?: Partial<SignupLimits>;
  hashQueue: HashQueueOptions;
}): Accounts {
  const users = createPgUserStore({ pool: deps.pool, hasher: deps.hasher });
  const throttle = createLoginThrottle({ redis: deps.redis, keyPrefix: deps.keyPrefix, ...deps.loginLimits });
  const signupLimit = createSignupLimit({ redis: deps.redis, keyPrefix: deps.keyPrefix, ...deps.signupLimits });
  const queue = createHashQueue(deps.hashQueue);
  const devices = createDeviceCookies({ secret: deps.deviceSecret });
  const loginStats = createLoginStats({ redis: deps.redis, keyPrefix: deps.keyPrefix });
  return {
    users,
    throttle,
    loginStats,
    authenticate: createAuthenticator({ users, throttle, devices, queue, stats: loginStats }),
    async signup(input, ip) {
      await signupLimit.reserve(ip);
      return users.create(input, (work) => queue.run({ lane: "anonymous", client: ip }, work));
    },
  };
}
