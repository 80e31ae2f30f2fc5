import path from "node:path";
import { fileURLToPath } from "node:url";
import { env, loadConfig } from "@statelab/http";
import { z } from "zod";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

const shape = {
  PORT: env.port(4101),
  HOST: env.string("127.0.0.1"),
  INSTANCE_ID: env.optionalString(),
  DATABASE_URL: env.url(["postgres:", "postgresql:"]).default("postgres://postgres@127.0.0.1:54329/statelab"),
  REDIS_URL: env.url(["redis:", "rediss:"]).default("redis://127.0.0.1:63799"),
  REDIS_PREFIX: env.string("statelab:"),
  SESSION_SECRET: env.optionalString(),
  KEY_DIR: env.string(path.join(repoRoot, ".statelab", "keys")),
  SESSION_STORE: env.oneOf(["redis", "memory"], "redis"),
  SESSION_STATE: env.oneOf(["soft", "hard"], "soft"),
  SESSION_TTL: env.int(1800, 1),
  SESSION_ABSOLUTE_TTL: env.int(8 * 3600, 1),
  SESSION_CACHE: z.union([z.literal("off"), z.coerce.number().int().min(1).max(3600)]).default("off"),
  AUTH_BINDING: env.oneOf(["cookie", "connection"], "cookie"),
  COOKIE_SECURE: env.bool(false),
  ALLOWED_ORIGINS: env.optionalString(),
  TRUST_PROXY: env.optionalString(),
  LOGIN_MAX_FAILURES: env.int(10, 1),
  LOG_LEVEL: env.oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
  LOG_REQUESTS: env.bool(true),
};

export interface StatefulConfig {
  port: number;
  host: string;
  instanceId: string;
  databaseUrl: string;
  redisUrl: string;
  /** Every Redis key of this deployment starts with it (sessions, index, throttle). */
  redisPrefix: string;
  /** Signs the session cookie; every instance must share it. Unset: read (or create once) KEY_DIR/session-secret. */
  sessionSecret: string | undefined;
  keyDir: string;
  sessionStore: "redis" | "memory";
  sessionState: "soft" | "hard";
  /** Idle timeout: activity extends it. */
  sessionTtlSeconds: number;
  /** Absolute lifetime from login, however active the session is. */
  sessionAbsoluteTtlSeconds: number;
  /** SESSION_CACHE: seconds a signed snapshot cookie may stand in for Redis on reads; 0 = off. */
  sessionCacheSeconds: number;
  authBinding: "cookie" | "connection";
  cookieSecure: boolean;
  /** Origins allowed on state-changing requests besides the server's own. */
  allowedOrigins: string[];
  trustProxy: boolean | string;
  loginMaxFailures: number;
  logLevel: string;
  logRequests: boolean;
}

/** Reads the stateful server's env vars once; one error names every bad one. */
export function loadStatefulConfig(source: NodeJS.ProcessEnv = process.env): Readonly<StatefulConfig> {
  const raw = loadConfig(shape, source);
  return Object.freeze({
    port: raw.PORT,
    host: raw.HOST,
    instanceId: raw.INSTANCE_ID ?? `stateful-${raw.PORT}`,
    databaseUrl: raw.DATABASE_URL,
    redisUrl: raw.REDIS_URL,
    redisPrefix: raw.REDIS_PREFIX,
    sessionSecret: raw.SESSION_SECRET,
    keyDir: raw.KEY_DIR,
    sessionStore: raw.SESSION_STORE as StatefulConfig["sessionStore"],
    sessionState: raw.SESSION_STATE as StatefulConfig["sessionState"],
    sessionTtlSeconds: raw.SESSION_TTL,
    sessionAbsoluteTtlSeconds: raw.SESSION_ABSOLUTE_TTL,
    sessionCacheSeconds: raw.SESSION_CACHE === "off" ? 0 : Number(raw.SESSION_CACHE),
    authBinding: raw.AUTH_BINDING as StatefulConfig["authBinding"],
    cookieSecure: raw.COOKIE_SECURE,
    allowedOrigins: raw.ALLOWED_ORIGINS ? raw.ALLOWED_ORIGINS.split(",").map((o) => o.trim()) : [],
    trustProxy: parseTrustProxy(raw.TRUST_PROXY),
    loginMaxFailures: raw.LOGIN_MAX_FAILURES,
    logLevel: raw.LOG_LEVEL,
    logRequests: raw.LOG_REQUESTS,
  });
}

function parseTrustProxy(value: string | undefined): boolean | string {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  return value;
}
