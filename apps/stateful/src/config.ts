import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BackendConfig, backendConfig, backendEnvShape } from "@statelab/backend";
import { ConfigError, env, loadConfig } from "@statelab/http";
import { presets, QuorumConfigError, resolveQuorum } from "@statelab/quorum";
import { z } from "zod";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

const shape = {
  ...backendEnvShape(4101),
  SESSION_SECRET: env.optionalString(),
  KEY_DIR: env.string(path.join(repoRoot, ".statelab", "keys")),
  SESSION_STORE: env.oneOf(["redis", "memory", "quorum"], "redis"),
  QUORUM_REDIS_URLS: z
    .string()
    .refine(
      (value) => value.split(",").every((url) => URL.canParse(url.trim()) && new URL(url.trim()).protocol === "redis:"),
      {
        message: "must be comma-separated redis:// URLs",
      },
    )
    .optional(),
  QUORUM_R: z.coerce.number().optional(),
  QUORUM_W: z.coerce.number().optional(),
  QUORUM_TIMEOUT_MS: env.int(500, 1, 60_000),
  SESSION_STATE: env.oneOf(["soft", "hard"], "soft"),
  SESSION_TTL: env.int(1800, 1),
  SESSION_ABSOLUTE_TTL: env.int(8 * 3600, 1),
  SESSION_CACHE: z.union([z.literal("off"), z.coerce.number().int().min(1).max(3600)]).default("off"),
  AUTH_BINDING: env.oneOf(["cookie", "connection"], "cookie"),
  COOKIE_SECURE: env.bool(false),
  ALLOWED_ORIGINS: env.optionalString(),
};

export interface StatefulConfig extends BackendConfig {
  /** Signs the session cookie; every instance must share it. Unset: read (or create once) KEY_DIR/session-secret. */
  sessionSecret: string | undefined;
  keyDir: string;
  sessionStore: "redis" | "memory" | "quorum";
  /** SESSION_STORE=quorum: the replicas and the quorum sizes (R and W default to majorities). */
  quorum: QuorumSettings | null;
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
}

export interface QuorumSettings {
  urls: string[];
  r: number;
  w: number;
  timeoutMs: number;
}

type Raw = ReturnType<typeof loadConfig<typeof shape>>;

function quorumSettings(raw: Raw): QuorumSettings | null {
  if (raw.SESSION_STORE !== "quorum") return null;
  if (!raw.QUORUM_REDIS_URLS)
    throw new ConfigError("invalid configuration: QUORUM_REDIS_URLS is required with SESSION_STORE=quorum");
  const urls = raw.QUORUM_REDIS_URLS.split(",").map((url) => url.trim());
  const majority = presets.majority(urls.length);
  try {
    const { r, w } = resolveQuorum({ n: urls.length, r: raw.QUORUM_R ?? majority.r, w: raw.QUORUM_W ?? majority.w });
    return { urls, r, w, timeoutMs: raw.QUORUM_TIMEOUT_MS };
  } catch (error) {
    if (error instanceof QuorumConfigError)
      throw new ConfigError(`invalid configuration: QUORUM_R/QUORUM_W: ${error.message}`);
    throw error;
  }
}

/** Reads the stateful server's env vars once; one error names every bad one. */
export function loadStatefulConfig(source: NodeJS.ProcessEnv = process.env): Readonly<StatefulConfig> {
  const raw = loadConfig(shape, source);
  return Object.freeze({
    ...backendConfig("stateful", raw),
    sessionSecret: raw.SESSION_SECRET,
    keyDir: raw.KEY_DIR,
    sessionStore: raw.SESSION_STORE as StatefulConfig["sessionStore"],
    quorum: quorumSettings(raw),
    sessionState: raw.SESSION_STATE as StatefulConfig["sessionState"],
    sessionTtlSeconds: raw.SESSION_TTL,
    sessionAbsoluteTtlSeconds: raw.SESSION_ABSOLUTE_TTL,
    sessionCacheSeconds: raw.SESSION_CACHE === "off" ? 0 : Number(raw.SESSION_CACHE),
    authBinding: raw.AUTH_BINDING as StatefulConfig["authBinding"],
    cookieSecure: raw.COOKIE_SECURE,
    allowedOrigins: raw.ALLOWED_ORIGINS ? raw.ALLOWED_ORIGINS.split(",").map((o) => o.trim()) : [],
  });
}
