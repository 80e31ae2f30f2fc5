import { type BackendSpec, parseBackendList } from "./backend-list.js";
import { ProxyConfigError } from "./errors.js";
import { proxyDefaults } from "./proxy.js";
import { isStrategyName, type StrategyName, strategyNames } from "./strategies/index.js";

/** The two proxies of the lab (DESIGN.md); PROXY_PRESET picks one, every field can be overridden. */
export const presets = {
  stateful: {
    port: 8081,
    adminPort: 9081,
    strategy: "sticky-cookie",
    backends: "s1=http://127.0.0.1:4101,s2=http://127.0.0.1:4102,s3=http://127.0.0.1:4103",
  },
  stateless: {
    port: 8082,
    adminPort: 9082,
    strategy: "round-robin",
    backends: "s1=http://127.0.0.1:4201,s2=http://127.0.0.1:4202,s3=http://127.0.0.1:4203",
  },
} as const satisfies Record<string, { port: number; adminPort: number; strategy: StrategyName; backends: string }>;

export interface ProxyConfig {
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  readonly adminPort: number;
  readonly backends: readonly BackendSpec[];
  readonly strategy: StrategyName;
  readonly healthIntervalMs: number;
  readonly healthRise: number;
  readonly healthFall: number;
  readonly upstreamTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly trustForwarded: boolean;
  readonly shutdownGraceMs: number;
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  problems: string[],
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    problems.push(`${name} must be an integer ${min}-${max} (got "${raw}")`);
  return value;
}

/** Reads the proxy's env vars once; throws one error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Readonly<ProxyConfig> {
  const problems: string[] = [];
  const presetName = env.PROXY_PRESET || "stateful";
  if (presetName !== "stateful" && presetName !== "stateless")
    problems.push(`PROXY_PRESET must be stateful or stateless (got "${presetName}")`);
  const preset = presetName === "stateless" ? presets.stateless : presets.stateful;
  const strategy = env.PROXY_STRATEGY || preset.strategy;
  if (!isStrategyName(strategy)) problems.push(`PROXY_STRATEGY must be one of ${strategyNames.join(", ")}`);
  let backends: BackendSpec[] = [];
  try {
    backends = parseBackendList(env.PROXY_BACKENDS || preset.backends);
  } catch (error) {
    if (!(error instanceof ProxyConfigError)) throw error;
    problems.push(`PROXY_BACKENDS: ${error.problems.join(", ")}`);
  }
  const trust = env.PROXY_TRUST_FORWARDED || "false";
  if (trust !== "true" && trust !== "false") problems.push(`PROXY_TRUST_FORWARDED must be true or false`);
  const config: ProxyConfig = {
    host: env.PROXY_HOST || "127.0.0.1",
    port: integer(env, "PROXY_PORT", preset.port, problems, 0, 65535),
    adminHost: env.PROXY_ADMIN_HOST || "127.0.0.1",
    adminPort: integer(env, "PROXY_ADMIN_PORT", preset.adminPort, problems, 0, 65535),
    backends,
    strategy: strategy as StrategyName,
    healthIntervalMs: integer(env, "PROXY_HEALTH_INTERVAL_MS", proxyDefaults.healthIntervalMs, problems, 10, 3_600_000),
    healthRise: integer(env, "PROXY_HEALTH_RISE", proxyDefaults.healthRise, problems, 1, 100),
    healthFall: integer(env, "PROXY_HEALTH_FALL", proxyDefaults.healthFall, problems, 1, 100),
    upstreamTimeoutMs: integer(
      env,
      "PROXY_UPSTREAM_TIMEOUT_MS",
      proxyDefaults.upstreamTimeoutMs,
      problems,
      1,
      3_600_000,
    ),
    connectTimeoutMs: integer(env, "PROXY_CONNECT_TIMEOUT_MS", proxyDefaults.connectTimeoutMs, problems, 1, 600_000),
    trustForwarded: trust === "true",
    shutdownGraceMs: integer(env, "PROXY_SHUTDOWN_GRACE_MS", 10_000, problems, 0, 600_000),
  };
  if (problems.length > 0) throw new ProxyConfigError(problems);
  return Object.freeze(config);
}
