import {
  type Authenticate,
  createAuthenticator,
  createDeviceCookies,
  createHashQueue,
  createLoginThrottle,
  createPgUserStore,
  createSignupLimit,
  type HashQueueOptions,
  type LoginLimits,
  type LoginThrottle,
  type PasswordHasher,
  type Signup,
  type SignupLimits,
  type UserStore,
} from "@statelab/users";
import type pg from "pg";
import type { RedisClient } from "./clients.js";
import { createLoginStats, type LoginStats } from "./login-stats.js";

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
