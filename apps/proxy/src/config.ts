import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { isLoopbackAddress } from "@statelab/http";
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

/**
 * The lab's proxies connect to the instances from this loopback address, and the instances
 * trust X-Forwarded-For from it alone (TRUST_PROXY): a client on 127.0.0.1 talking to an
 * instance directly cannot pose as the proxy and choose its address.
 */
export const labSourceAddress = "127.0.0.2";

/** pino's levels; `silent` logs nothing. */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];
const isLogLevel = (value: string): value is LogLevel => (logLevels as readonly string[]).includes(value);

/** The command-line flags of src/main.ts, and the env var each one overrides. */
const flagVars = { strategy: "PROXY_STRATEGY", port: "PROXY_PORT", backends: "PROXY_BACKENDS" } as const;
export type ProxyFlags = { readonly [F in keyof typeof flagVars]?: string };

export const usage = "usage: statelab-proxy [--strategy <name>] [--port <n>] [--backends <id=url,…>]";

/**
 * Reads the flags (argv without node and the script) with node's parseArgs, strictly:
 * an unknown flag, a flag without its value or a stray argument throws a usage error.
 * Values are checked by loadConfig, with the env vars.
 */
export function parseFlags(argv: readonly string[]): ProxyFlags {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { strategy: { type: "string" }, port: { type: "string" }, backends: { type: "string" } },
      strict: true,
      allowPositionals: false,
    });
    return values;
  } catch (error) {
    throw new ProxyConfigError([`${error instanceof Error ? error.message : String(error)} (${usage})`], {
      isUsage: true,
    });
  }
}

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
  /** Local address of connections to backends (they trust X-Forwarded-For from it); undefined: the kernel's pick. */
  readonly sourceAddress: string | undefined;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
}

/** An integer setting: the fallback when unset or empty, else a problem unless it is in [min, max]. */
function integer(
  raw: string | undefined,
  name: string,
  fallback: number,
  problems: string[],
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    problems.push(`${name} must be an integer ${min}-${max} (got "${raw}")`);
  return value;
}

/**
 * Reads the proxy's env vars, and the command-line flags that override them, once;
 * throws one error naming every bad variable and flag (`isUsage` when a flag is bad).
 */
export function loadConfig(env: NodeJS.ProcessEnv, flags: ProxyFlags = {}): Readonly<ProxyConfig> {
  const problems: string[] = [];
  const flagProblems: string[] = [];
  /** A flag's value and name when it was given, else its env var's: checked by the same code either way. */
  const setting = (flag: keyof ProxyFlags) => {
    const value = flags[flag];
    if (value === undefined) return { raw: env[flagVars[flag]] || undefined, name: flagVars[flag], problems };
    // An empty flag is a mistake, not "unset" as an empty env var is.
    if (value === "") flagProblems.push(`--${flag} needs a value`);
    return { raw: value || undefined, name: `--${flag}`, problems: flagProblems };
  };

  const presetName = env.PROXY_PRESET || "stateful";
  if (presetName !== "stateful" && presetName !== "stateless")
    problems.push(`PROXY_PRESET must be stateful or stateless (got "${presetName}")`);
  const preset = presetName === "stateless" ? presets.stateless : presets.stateful;
  const strategySetting = setting("strategy");
  const strategy = strategySetting.raw ?? preset.strategy;
  if (!isStrategyName(strategy))
    strategySetting.problems.push(`${strategySetting.name} must be one of ${strategyNames.join(", ")}`);
  const backendsSetting = setting("backends");
  let backends: BackendSpec[] = [];
  try {
    backends = parseBackendList(backendsSetting.raw ?? preset.backends);
  } catch (error) {
    if (!(error instanceof ProxyConfigError)) throw error;
    backendsSetting.problems.push(`${backendsSetting.name}: ${error.problems.join(", ")}`);
  }
  const portSetting = setting("port");
  const port = integer(portSetting.raw, portSetting.name, preset.port, portSetting.problems, 0, 65535);
  const trust = env.PROXY_TRUST_FORWARDED || "false";
  if (trust !== "true" && trust !== "false") problems.push(`PROXY_TRUST_FORWARDED must be true or false`);
  const adminHost = env.PROXY_ADMIN_HOST || "127.0.0.1";
  // The admin API has no authentication: it may only ever be reachable from this machine.
  if (adminHost !== "localhost" && !isLoopbackAddress(adminHost))
    problems.push(
      `PROXY_ADMIN_HOST must be a loopback address (got "${adminHost}"): the admin API has no authentication`,
    );
  const sourceAddress = env.PROXY_SOURCE_ADDRESS || undefined;
  if (sourceAddress !== undefined && isIP(sourceAddress) === 0)
    problems.push(`PROXY_SOURCE_ADDRESS must be an IP address (got "${sourceAddress}")`);
  const logLevel = env.LOG_LEVEL || "info";
  if (!isLogLevel(logLevel)) problems.push(`LOG_LEVEL must be one of ${logLevels.join(", ")} (got "${logLevel}")`);
  const envInteger = (name: string, fallback: number, min: number, max: number) =>
    integer(env[name], name, fallback, problems, min, max);
  const config: ProxyConfig = {
    host: env.PROXY_HOST || "127.0.0.1",
    port,
    adminHost,
    adminPort: envInteger("PROXY_ADMIN_PORT", preset.adminPort, 0, 65535),
    backends,
    strategy: strategy as StrategyName,
    healthIntervalMs: envInteger("PROXY_HEALTH_INTERVAL_MS", proxyDefaults.healthIntervalMs, 10, 3_600_000),
    healthRise: envInteger("PROXY_HEALTH_RISE", proxyDefaults.healthRise, 1, 100),
    healthFall: envInteger("PROXY_HEALTH_FALL", proxyDefaults.healthFall, 1, 100),
    upstreamTimeoutMs: envInteger("PROXY_UPSTREAM_TIMEOUT_MS", proxyDefaults.upstreamTimeoutMs, 1, 3_600_000),
    connectTimeoutMs: envInteger("PROXY_CONNECT_TIMEOUT_MS", proxyDefaults.connectTimeoutMs, 1, 600_000),
    trustForwarded: trust === "true",
    sourceAddress,
    shutdownGraceMs: envInteger("PROXY_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    logLevel: logLevel as LogLevel,
  };
  if (problems.length + flagProblems.length > 0) {
    throw new ProxyConfigError([...flagProblems, ...problems], { isUsage: flagProblems.length > 0 });
  }
  return Object.freeze(config);
}
