import { availableParallelism } from "node:os";
import { env } from "@statelab/http";
import {
  DEFAULT_LOGIN_LIMITS,
  DEFAULT_SIGNUP_LIMITS,
  type HashQueueOptions,
  type LoginLimits,
  type SignupLimits,
} from "@statelab/users";
import type { z } from "zod";

/**
 * The env vars both backends read the same way; each app adds its own and
 * passes the merged shape to loadConfig once.
 */
export function backendEnvShape(defaultPort: number) {
  return {
    PORT: env.port(defaultPort),
    HOST: env.string("127.0.0.1"),
    INSTANCE_ID: env.optionalString(),
    DATABASE_URL: env.url(["postgres:", "postgresql:"]).default("postgres://postgres@127.0.0.1:54329/statelab"),
    REDIS_URL: env.url(["redis:", "rediss:"]).default("redis://127.0.0.1:63799"),
    REDIS_PREFIX: env.string("statelab:"),
    TRUST_PROXY: env.trustProxy(),
    LOGIN_MAX_FAILURES: env.int(DEFAULT_LOGIN_LIMITS.maxFailuresPerUser, 1),
    LOGIN_MAX_IP_FAILURES: env.int(DEFAULT_LOGIN_LIMITS.maxFailuresPerIp, 1),
    LOGIN_MAX_ACCOUNT_FAILURES: env.int(DEFAULT_LOGIN_LIMITS.maxFailuresPerAccount, 1),
    LIMIT_WINDOW: env.int(DEFAULT_LOGIN_LIMITS.windowSeconds, 1, 86_400),
    SIGNUP_MAX_PER_IP: env.int(DEFAULT_SIGNUP_LIMITS.maxPerIp, 1),
    SIGNUP_MAX_GLOBAL: env.int(DEFAULT_SIGNUP_LIMITS.maxGlobal, 1),
    // argon2 runs on libuv's pool of 4 threads: more than 4 at once only queues there.
    HASH_CONCURRENCY: env.int(Math.min(4, availableParallelism()), 1, 64),
    HASH_QUEUE: env.int(32, 1, 10_000),
    HASH_QUEUE_PER_CLIENT: env.int(4, 1, 1000),
    HASH_MAX_WAIT_MS: env.int(1000, 1, 60_000),
    LOG_LEVEL: env.oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
    LOG_REQUESTS: env.bool(true),
    LOGIN_STATS_EVERY: env.int(60, 0, 86_400),
    LEASE_TTL_MS: env.int(15_000, 300, 600_000),
    LEASE_FENCE: env.bool(true),
    MIGRATE_ON_START: env.bool(false),
  };
}

export interface BackendConfig {
  port: number;
  host: string;
  /** Sent as X-Instance-Id; `<app>-<port>` unless set. */
  instanceId: string;
  databaseUrl: string;
  redisUrl: string;
  /** Every Redis key of this deployment starts with it. */
  redisPrefix: string;
  /**
   * The proxy hops whose X-Forwarded-For names the client (exact addresses, never "any loopback
   * peer"); false: the header is ignored. Either way a client cannot pick the IP the limits count.
   */
  trustProxy: false | string;
  /** Failed-login limits: per username + IP (and per device), per IP, per account; the window; the longest lockout. */
  loginLimits: LoginLimits;
  /** Signups per address and across all addresses, per window. */
  signupLimits: SignupLimits;
  /** The bounded, fair queue every argon2 operation waits in. */
  hashQueue: HashQueueOptions;
  logLevel: string;
  logRequests: boolean;
  /** The login-statistics rollup (a lease-guarded singleton job) runs this often on the holder; 0 = off. */
  loginStatsEverySeconds: number;
  /** The lease the singleton job runs under: renewed every ttl/3. */
  leaseTtlMs: number;
  /** Postgres refuses writes with a stale fencing token (true) or only counts them (false: the lab's unsafe mode). */
  leaseFence: boolean;
  /** Apply pending migrations at start (the lab, a dev box); otherwise only check none is pending, with read rights. */
  migrateOnStart: boolean;
}

type BackendRaw = z.output<z.ZodObject<ReturnType<typeof backendEnvShape>>>;

/** The typed, unit-named view of backendEnvShape's variables. */
export function backendConfig(app: string, raw: BackendRaw): BackendConfig {
  return {
    port: raw.PORT,
    host: raw.HOST,
    instanceId: raw.INSTANCE_ID ?? `${app}-${raw.PORT}`,
    databaseUrl: raw.DATABASE_URL,
    redisUrl: raw.REDIS_URL,
    redisPrefix: raw.REDIS_PREFIX,
    trustProxy: raw.TRUST_PROXY,
    loginLimits: {
      maxFailuresPerUser: raw.LOGIN_MAX_FAILURES,
      maxFailuresPerDevice: raw.LOGIN_MAX_FAILURES,
      maxFailuresPerIp: raw.LOGIN_MAX_IP_FAILURES,
      maxFailuresPerAccount: raw.LOGIN_MAX_ACCOUNT_FAILURES,
      windowSeconds: raw.LIMIT_WINDOW,
      maxLockoutSeconds: DEFAULT_LOGIN_LIMITS.maxLockoutSeconds,
    },
    signupLimits: {
      maxPerIp: raw.SIGNUP_MAX_PER_IP,
      maxGlobal: raw.SIGNUP_MAX_GLOBAL,
      windowSeconds: raw.LIMIT_WINDOW,
    },
    hashQueue: {
      concurrency: raw.HASH_CONCURRENCY,
      maxQueued: raw.HASH_QUEUE,
      maxPerClient: raw.HASH_QUEUE_PER_CLIENT,
      maxWaitMs: raw.HASH_MAX_WAIT_MS,
    },
    logLevel: raw.LOG_LEVEL,
    logRequests: raw.LOG_REQUESTS,
    loginStatsEverySeconds: raw.LOGIN_STATS_EVERY,
    leaseTtlMs: raw.LEASE_TTL_MS,
    leaseFence: raw.LEASE_FENCE,
    migrateOnStart: raw.MIGRATE_ON_START,
  };
}
