import {
  type Authenticate,
  createAuthenticator,
  createLoginThrottle,
  createPgUserStore,
  type PasswordHasher,
  type UserStore,
} from "@statelab/users";
import type pg from "pg";
import type { RedisClient } from "./clients.js";
import { createLoginStats, type LoginStats } from "./login-stats.js";

/** The user store and the throttled login check, wired the one way both backends use them. */
export function createAccounts(deps: {
  pool: pg.Pool;
  redis: RedisClient;
  hasher: PasswordHasher;
  keyPrefix: string;
  loginMaxFailures: number;
}): { users: UserStore; authenticate: Authenticate; loginStats: LoginStats } {
  const users = createPgUserStore({ pool: deps.pool, hasher: deps.hasher });
  const throttle = createLoginThrottle({
    redis: deps.redis,
    keyPrefix: deps.keyPrefix,
    maxFailuresPerUser: deps.loginMaxFailures,
  });
  const loginStats = createLoginStats({ redis: deps.redis, keyPrefix: deps.keyPrefix });
  return { users, loginStats, authenticate: createAuthenticator({ users, throttle, stats: loginStats }) };
}
