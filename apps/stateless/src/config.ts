import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BackendConfig, backendConfig, backendEnvShape } from "@statelab/backend";
import { env, loadConfig } from "@statelab/http";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

const shape = {
  ...backendEnvShape(4201),
  KEY_DIR: env.string(path.join(repoRoot, ".statelab", "keys")),
  JWT_ALG: env.oneOf(["EdDSA", "ES256"], "EdDSA"),
  JWT_ISSUER: env.string("statelab"),
  JWT_AUDIENCE: env.string("statelab-api"),
  ACCESS_TTL: env.int(300, 1, 86_400),
  REFRESH_TTL: env.int(14 * 86_400, 1),
  REFRESH_ABSOLUTE_TTL: env.int(30 * 86_400, 1),
  // Capped at a minute: the window exists for racing tabs, and a thief's replay inside it goes undetected.
  REFRESH_GRACE: env.int(0, 0, 60),
  CLOCK_TOLERANCE: env.int(5, 0, 5),
  REVOCATION: env.oneOf(["denylist", "none"], "denylist"),
  DENYLIST_FAIL_OPEN: env.bool(false),
  VERIFY_CACHE_SIZE: env.int(10_000, 0, 1_000_000),
};

export interface StatelessConfig extends BackendConfig {
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
  /**
   * A spent refresh token presented again this soon after it was spent gets a new pair in
   * the same family instead of revoking it (two tabs racing); 0, the default, means no window.
   */
  refreshGraceSeconds: number;
  clockToleranceSeconds: number;
  revocation: "denylist" | "none";
  /** With the denylist unreachable: accept tokens (true) or answer 503 (false, the default). */
  denylistFailOpen: boolean;
  /** Verified tokens remembered (exp still checked on every use); 0 disables the cache. */
  verifyCacheSize: number;
}

/** Reads the stateless server's env vars once; one error names every bad one. */
export function loadStatelessConfig(source: NodeJS.ProcessEnv = process.env): Readonly<StatelessConfig> {
  const raw = loadConfig(shape, source);
  return Object.freeze({
    ...backendConfig("stateless", raw),
    keyDir: raw.KEY_DIR,
    jwtAlg: raw.JWT_ALG as StatelessConfig["jwtAlg"],
    issuer: raw.JWT_ISSUER,
    audience: raw.JWT_AUDIENCE,
    accessTtlSeconds: raw.ACCESS_TTL,
    refreshTtlSeconds: raw.REFRESH_TTL,
    refreshAbsoluteTtlSeconds: raw.REFRESH_ABSOLUTE_TTL,
    refreshGraceSeconds: raw.REFRESH_GRACE,
    clockToleranceSeconds: raw.CLOCK_TOLERANCE,
    revocation: raw.REVOCATION as StatelessConfig["revocation"],
    denylistFailOpen: raw.DENYLIST_FAIL_OPEN,
    verifyCacheSize: raw.VERIFY_CACHE_SIZE,
  });
}
