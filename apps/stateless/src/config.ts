import path from "node:path";
import { fileURLToPath } from "node:url";
import { env, loadConfig } from "@statelab/http";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

const shape = {
  PORT: env.port(4201),
  HOST: env.string("127.0.0.1"),
  INSTANCE_ID: env.optionalString(),
  DATABASE_URL: env.url(["postgres:", "postgresql:"]).default("postgres://postgres@127.0.0.1:54329/statelab"),
  REDIS_URL: env.url(["redis:", "rediss:"]).default("redis://127.0.0.1:63799"),
  REDIS_PREFIX: env.string("statelab:"),
  KEY_DIR: env.string(path.join(repoRoot, ".statelab", "keys")),
  JWT_ALG: env.oneOf(["EdDSA", "ES256"], "EdDSA"),
  JWT_ISSUER: env.string("statelab"),
  JWT_AUDIENCE: env.string("statelab-api"),
  ACCESS_TTL: env.int(300, 1, 86_400),
  REFRESH_TTL: env.int(14 * 86_400, 1),
  REFRESH_ABSOLUTE_TTL: env.int(30 * 86_400, 1),
  CLOCK_TOLERANCE: env.int(5, 0, 5),
  REVOCATION: env.oneOf(["denylist", "none"], "denylist"),
  DENYLIST_FAIL_OPEN: env.bool(false),
  VERIFY_CACHE_SIZE: env.int(10_000, 0, 1_000_000),
  TRUST_PROXY: env.optionalString(),
  LOGIN_MAX_FAILURES: env.int(10, 1),
  LOG_LEVEL: env.oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
  LOG_REQUESTS: env.bool(true),
};

export interface StatelessConfig {
  port: number;
  host: string;
  instanceId: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Signing keys shared by every instance live here (created once if absent). */
  keyDir: string;
  jwtAlg: "EdDSA" | "ES256";
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  /** A refresh token unused this long expires (idle). */
  refreshTtlSeconds: number;
  /** A refresh family ends this long after login, however active (absolute). */
  refreshAbsoluteTtlSeconds: number;
  clockToleranceSeconds: number;
  revocation: "denylist" | "none";
  /** With the denylist unreachable: accept tokens (true) or answer 503 (false, the default). */
  denylistFailOpen: boolean;
  /** Verified tokens remembered (exp still checked on every use); 0 disables the cache. */
  verifyCacheSize: number;
  trustProxy: boolean | string;
  loginMaxFailures: number;
  logLevel: string;
  logRequests: boolean;
}

/** Reads the stateless server's env vars once; one error names every bad one. */
export function loadStatelessConfig(source: NodeJS.ProcessEnv = process.env): Readonly<StatelessConfig> {
  const raw = loadConfig(shape, source);
  return Object.freeze({
    port: raw.PORT,
    host: raw.HOST,
    instanceId: raw.INSTANCE_ID ?? `stateless-${raw.PORT}`,
    databaseUrl: raw.DATABASE_URL,
    redisUrl: raw.REDIS_URL,
    redisPrefix: raw.REDIS_PREFIX,
    keyDir: raw.KEY_DIR,
    jwtAlg: raw.JWT_ALG as StatelessConfig["jwtAlg"],
    issuer: raw.JWT_ISSUER,
    audience: raw.JWT_AUDIENCE,
    accessTtlSeconds: raw.ACCESS_TTL,
    refreshTtlSeconds: raw.REFRESH_TTL,
    refreshAbsoluteTtlSeconds: raw.REFRESH_ABSOLUTE_TTL,
    clockToleranceSeconds: raw.CLOCK_TOLERANCE,
    revocation: raw.REVOCATION as StatelessConfig["revocation"],
    denylistFailOpen: raw.DENYLIST_FAIL_OPEN,
    verifyCacheSize: raw.VERIFY_CACHE_SIZE,
    trustProxy:
      raw.TRUST_PROXY === undefined || raw.TRUST_PROXY === "false"
        ? false
        : raw.TRUST_PROXY === "true"
          ? true
          : raw.TRUST_PROXY,
    loginMaxFailures: raw.LOGIN_MAX_FAILURES,
    logLevel: raw.LOG_LEVEL,
    logRequests: raw.LOG_REQUESTS,
  });
}
