import { env } from "@statelab/http";
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
    LOGIN_MAX_FAILURES: env.int(10, 1),
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
  /** Express's `trust proxy`; off means X-Forwarded-For is ignored, so clients cannot pick the IP the throttle counts. */
  trustProxy: boolean | string;
  loginMaxFailures: number;
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
    loginMaxFailures: raw.LOGIN_MAX_FAILURES,
    logLevel: raw.LOG_LEVEL,
    logRequests: raw.LOG_REQUESTS,
    loginStatsEverySeconds: raw.LOGIN_STATS_EVERY,
    leaseTtlMs: raw.LEASE_TTL_MS,
    leaseFence: raw.LEASE_FENCE,
    migrateOnStart: raw.MIGRATE_ON_START,
  };
}
