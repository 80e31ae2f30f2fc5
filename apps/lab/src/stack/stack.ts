import { writeFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "@statelab/infra";
import { labSourceAddress, renderHaproxyConfig, type StrategyName } from "@statelab/proxy";
import { type Child, type Supervisor, tsxCommand } from "./children.js";

export type AppName = "stateful" | "stateless";
export type LoadBalancer = "builtin" | "haproxy";

/** What every instance of a deployment shares: the stores and the secrets. */
export interface SharedState {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Signing keys and the session secret, shared by every instance of the lab. */
  keyDir: string;
  /** Per-process logs go here (one file per child). */
  logDir: string;
}

/**
 * A stack as the lab or a scenario asks for it — the one description of a stack: which
 * app, how many instances behind which load balancer, configured how. `compare` shares
 * one running stack per equal spec unless it is `fresh`.
 */
export interface StackSpec {
  app: AppName;
  /** Names the instances (`<label>-1`…) and shows in the report; the app's name unless given. */
  label?: string;
  /** Instances (compare's pool; `up` gives one port per instance). */
  count?: number;
  /** The load balancer's strategy: sticky-cookie for the stateful app, round-robin for the stateless one, unless given. */
  strategy?: StrategyName;
  lb?: LoadBalancer;
  /** The app's mode variables (SESSION_STORE, REVOCATION, …). */
  env?: Record<string, string>;
  /** Extra env per instance, by index, over `env`: one instance's REDIS_URL through a relay, one skewed clock. */
  instanceEnv?: Array<Record<string, string>>;
  /** Another Redis than the lab's (store-outage stops its own; the fault scenarios go through relays). */
  redisUrl?: string;
  /** Another Postgres than the lab's (db-down reaches it through a relay). */
  databaseUrl?: string;
  /** A stack of the scenario's own, stopped when it ends (for scenarios that break it). */
  fresh?: boolean;
}

/** Where a stack listens: one port per instance, the load balancer's, and the built-in proxy's admin API (HAProxy has none). */
export interface StackPorts {
  ports: number[];
  proxyPort: number;
  adminPort: number;
}

type StackOptions = StackSpec & StackPorts & { label: string; strategy: StrategyName; lb: LoadBalancer };

export interface Instance {
  id: string;
  url: string;
  port: number;
  child: Child;
}

/** One stack: N instances of one app behind one load balancer. */
export interface Stack {
  app: AppName;
  label: string;
  lb: LoadBalancer;
  strategy: StrategyName;
  instances: Instance[];
  /** Where clients go: the load balancer. */
  url: string;
  adminUrl: string | null;
  proxy: Child;
  instance(id: string): Instance;
}

/** Proxy settings of the lab: faster health checks than the defaults, so faults show in seconds. */
export const labProxyTimings = {
  healthIntervalMs: 500,
  healthRise: 2,
  healthFall: 2,
  upstreamTimeoutMs: 2000,
  connectTimeoutMs: 1000,
} as const;

const okStatus = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    (res) => res.ok,
    () => false,
  );

export { freePort };

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function instanceEnv(
  shared: SharedState,
  options: StackOptions,
  index: number,
  id: string,
  port: number,
): Record<string, string> {
  return {
    PORT: String(port),
    INSTANCE_ID: id,
    DATABASE_URL: options.databaseUrl ?? shared.databaseUrl,
    REDIS_URL: options.redisUrl ?? shared.redisUrl,
    REDIS_PREFIX: shared.redisPrefix,
    KEY_DIR: shared.keyDir,
    // The proxy connects from the lab's source address and is the one hop trusted to name the
    // client: a client on 127.0.0.1 talking to an instance directly cannot choose its address.
    TRUST_PROXY: labSourceAddress,
    LOG_LEVEL: "warn",
    LOG_REQUESTS: "false",
    // The lab is its own deployment: its instances bring the schema up to date as they start.
    MIGRATE_ON_START: "true",
    ...options.env,
    ...options.instanceEnv?.[index],
  };
}

function startProxy(supervisor: Supervisor, shared: SharedState, options: StackOptions, label: string, ids: string[]) {
  const backends = options.ports.map((port, i) => ({
    id: ids[i] as string,
    origin: `http://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
  }));
  const url = `http://127.0.0.1:${options.proxyPort}`;
  if (options.lb === "haproxy") {
    const configFile = path.join(shared.logDir, `haproxy-${label}.cfg`);
    writeFileSync(
      configFile,
      renderHaproxyConfig({
        frontends: [{ name: label, host: "127.0.0.1", port: options.proxyPort, strategy: options.strategy, backends }],
        ...labProxyTimings,
        sourceAddress: labSourceAddress,
      }),
    );
    const child = supervisor.add({
      name: `haproxy-${label}`,
      command: "/usr/sbin/haproxy",
      args: ["-f", configFile, "-db"],
      env: {},
      isReady: () => okStatus(`${url}/healthz`),
      logFile: path.join(shared.logDir, `haproxy-${label}.log`),
    });
    return { child, url, adminUrl: null };
  }
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  const child = supervisor.add({
    name: `proxy-${label}`,
    ...tsxCommand("apps/proxy/src/main.ts"),
    env: {
      PROXY_PORT: String(options.proxyPort),
      PROXY_ADMIN_PORT: String(options.adminPort),
      PROXY_BACKENDS: backends.map((b) => `${b.id}=${b.origin}`).join(","),
      PROXY_STRATEGY: options.strategy,
      PROXY_HEALTH_INTERVAL_MS: String(labProxyTimings.healthIntervalMs),
      PROXY_HEALTH_RISE: String(labProxyTimings.healthRise),
      PROXY_HEALTH_FALL: String(labProxyTimings.healthFall),
      PROXY_UPSTREAM_TIMEOUT_MS: String(labProxyTimings.upstreamTimeoutMs),
      PROXY_CONNECT_TIMEOUT_MS: String(labProxyTimings.connectTimeoutMs),
      PROXY_SHUTDOWN_GRACE_MS: "2000",
      PROXY_SOURCE_ADDRESS: labSourceAddress,
    },
    isReady: () => okStatus(`${adminUrl}/healthz`),
    logFile: path.join(shared.logDir, `proxy-${label}.log`),
  });
  return { child, url, adminUrl };
}

/**
 * Starts N instances of one app (real processes, in parallel) and the load
 * balancer in front of them; resolves when every one of them answers.
 */
export async function startStack(
  supervisor: Supervisor,
  shared: SharedState,
  spec: StackSpec & StackPorts,
): Promise<Stack> {
  const label = spec.label ?? spec.app;
  const options: StackOptions = {
    ...spec,
    label,
    strategy: spec.strategy ?? (spec.app === "stateful" ? "sticky-cookie" : "round-robin"),
    lb: spec.lb ?? "builtin",
  };
  const ids = options.ports.map((_, i) => `${label}-${i + 1}`);
  const instances: Instance[] = options.ports.map((port, i) => {
    const id = ids[i] as string;
    const url = `http://127.0.0.1:${port}`;
    const child = supervisor.add({
      name: id,
      ...tsxCommand(`apps/${options.app}/src/main.ts`),
      env: instanceEnv(shared, options, i, id, port),
      isReady: () => okStatus(`${url}/readyz`),
      logFile: path.join(shared.logDir, `${id}.log`),
    });
    return { id, url, port, child };
  });
  await Promise.all(instances.map((instance) => instance.child.start()));
  const proxy = startProxy(supervisor, shared, options, label, ids);
  await proxy.child.start();
  return {
    app: options.app,
    label,
    lb: options.lb,
    strategy: options.strategy,
    instances,
    url: proxy.url,
    adminUrl: proxy.adminUrl,
    proxy: proxy.child,
    instance(id) {
      const found = instances.find((instance) => instance.id === id);
      if (!found) throw new Error(`no instance ${id} in ${label}`);
      return found;
    },
  };
}

/** Stops one stack's processes (the proxy first, so it stops sending to them). */
export async function stopStack(stack: Stack): Promise<void> {
  await stack.proxy.stop(2000);
  await Promise.all(stack.instances.map((instance) => instance.child.stop()));
}
