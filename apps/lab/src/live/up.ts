import path from "node:path";
import { isPortOpen, redactUrl } from "@statelab/infra";
import type { StrategyName } from "@statelab/proxy";
import type { Child } from "../stack/children.js";
import { type Lab, openLab } from "../stack/lab.js";
import { freePorts, type LoadBalancer, type Stack, startStack } from "../stack/stack.js";
import { LabControl, serverControls } from "./control/index.js";
import { Dashboard } from "./dashboard/dashboard.js";
import { leasePanel } from "./dashboard/lease-panel.js";
import { type DashboardServer, notRunningPanels, serveDashboard } from "./dashboard/server.js";
import { type SessionReplicas, startSessionReplicas } from "./session-replicas.js";

export interface UpOptions {
  stateful: number;
  stateless: number;
  statefulStrategy: StrategyName;
  statelessStrategy: StrategyName;
  lb: LoadBalancer;
  /** Added to every default port, so a second lab (or a test) can run beside the first. */
  portOffset: number;
  /** Take every port from the kernel instead (the banner says which). */
  freePorts: boolean;
  /** Mode variables for each app, e.g. SESSION_STORE=memory, REVOCATION=none. */
  statefulEnv: Record<string, string>;
  statelessEnv: Record<string, string>;
}

interface LabPorts {
  dashboard: number;
  stateful: { ports: number[]; proxyPort: number; adminPort: number };
  stateless: { ports: number[]; proxyPort: number; adminPort: number };
}

/** The design's ports: dashboard 8080, stateful 4101…, stateless 4201…, proxies 8081/8082, admin APIs 9081/9082. */
export function labPorts(options: Pick<UpOptions, "stateful" | "stateless" | "portOffset">): LabPorts {
  const at = (port: number) => port + options.portOffset;
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => at(from + i));
  return {
    dashboard: at(8080),
    stateful: { ports: range(4101, options.stateful), proxyPort: at(8081), adminPort: at(9081) },
    stateless: { ports: range(4201, options.stateless), proxyPort: at(8082), adminPort: at(9082) },
  };
}

/** `--free-ports`: every port from the kernel, for a lab that must not meet any other. */
async function kernelPorts(options: Pick<UpOptions, "stateful" | "stateless">): Promise<LabPorts> {
  const ports = await freePorts(options.stateful + options.stateless + 5);
  const take = (count: number) => ports.splice(0, count);
  const [dashboard, ...rest] = take(5) as [number, number, number, number, number];
  return {
    dashboard,
    stateful: { ports: take(options.stateful), proxyPort: rest[0] as number, adminPort: rest[1] as number },
    stateless: { ports: take(options.stateless), proxyPort: rest[2] as number, adminPort: rest[3] as number },
  };
}

async function assertPortsFree(ports: number[]): Promise<void> {
  const taken: number[] = [];
  for (const port of ports) if (await isPortOpen(port)) taken.push(port);
  if (taken.length > 0) {
    throw new Error(
      `port${taken.length > 1 ? "s" : ""} ${taken.join(", ")} already in use — is another \`statelab up\` running? ` +
        "Stop it, or pass --port-offset to run beside it.",
    );
  }
}

/** The curl commands printed for each stack; the lab's test runs exactly these. */
export function firstCurls(stack: Stack): string[] {
  const body = `'{"username":"ada","password":"correct-horse-1"}'`;
  const json = "-H 'content-type: application/json'";
  if (stack.app === "stateful") {
    const jar = "/tmp/statelab-ada.jar";
    return [
      `curl -s -X POST ${stack.url}/auth/signup ${json} -d ${body}`,
      `curl -si -c ${jar} -X POST ${stack.url}/auth/login ${json} -d ${body}`,
      `curl -si -b ${jar} ${stack.url}/me`,
    ];
  }
  return [
    `curl -s -X POST ${stack.url}/auth/signup ${json} -d ${body}`,
    `TOKEN=$(curl -s -X POST ${stack.url}/auth/login ${json} -d ${body} | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')`,
    `curl -si ${stack.url}/me -H "authorization: Bearer $TOKEN"`,
  ];
}

function describeStack(stack: Stack, env: Record<string, string>): string[] {
  const modes = Object.entries(env).map(([name, value]) => ` ${name}=${value}`);
  const lb = stack.lb === "haproxy" ? "HAProxy" : "built-in proxy";
  const lines = [`${stack.app.padEnd(9)} ${stack.url}  (${lb}, ${stack.strategy})${modes.join("")}`];
  if (stack.adminUrl) lines.push(`${"".padEnd(9)} admin ${stack.adminUrl}/backends`);
  for (const instance of stack.instances) {
    lines.push(`${"".padEnd(9)} ${instance.id.padEnd(12)} ${instance.url}  pid ${instance.child.pid}`);
  }
  return lines;
}

/** Prints what runs where, and a first session to try on each stack. */
function printBanner(
  lab: Lab,
  stacks: Stack[],
  dashboard: DashboardServer,
  options: UpOptions,
  print: (line: string) => void,
): void {
  print("");
  print("statelab is up");
  print("");
  print(`dashboard ${dashboard.url}  (break things: statelab fault --help)`);
  // The URLs carry the generated passwords (files in the state dir's credentials/): not for a terminal log.
  print(`postgres  ${redactUrl(lab.infra.databaseUrl)}`);
  print(`redis     ${redactUrl(lab.infra.redisUrl)}`);
  if (lab.infra.services.some((service) => service.startedHere || service.pid !== null))
    print(
      `          passwords in ${path.join(lab.infraConfig.stateDir, "credentials")} (\`npm run infra -- env\` prints the URLs)`,
    );
  for (const stack of stacks) {
    const env = stack.app === "stateful" ? options.statefulEnv : options.statelessEnv;
    for (const line of describeStack(stack, env)) print(line);
  }
  print(`logs      ${lab.shared.logDir}`);
  for (const stack of stacks) {
    print("");
    print(`# try the ${stack.app} stack`);
    for (const line of firstCurls(stack)) print(line);
  }
  print("");
  print("Ctrl-C stops everything (a second Ctrl-C kills what is left).");
}

/**
 * `statelab up`: infra, N + N instances, both load balancers; prints the
 * banner and runs until a signal. The first signal stops everything in order;
 * a second one kills what is left.
 */
export async function up(options: UpOptions, print: (line: string) => void = console.log): Promise<void> {
  const ports = options.freePorts ? await kernelPorts(options) : labPorts(options);
  await assertPortsFree([
    ports.dashboard,
    ...ports.stateful.ports,
    ports.stateful.proxyPort,
    ...ports.stateless.ports,
    ports.stateless.proxyPort,
    ...(options.lb === "builtin" ? [ports.stateful.adminPort, ports.stateless.adminPort] : []),
  ]);
  let lab: Lab | undefined;
  let dashboard: Dashboard | undefined;
  let server: DashboardServer | undefined;
  let replicas: SessionReplicas | null = null;
  let stopping = false;
  const close = async () => {
    await server?.close();
    await dashboard?.close();
    await lab?.close();
    await replicas?.close();
  };
  const shutdown = (signal: string) => {
    if (stopping) {
      print(`${signal} again: killing what is left`);
      for (const child of lab?.supervisor.list() ?? []) child.killNow();
      replicas?.killNow();
      process.exit(1);
    }
    stopping = true;
    print(`\n${signal}: stopping the dashboard, the proxies, the instances, then Postgres and Redis…`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => shutdown(signal));

  lab = await openLab({ log: (line) => print(`[infra] ${line}`) });
  const current = lab;
  try {
    replicas = await startSessionReplicas(options.statefulEnv, current.shared.redisPrefix, (line) =>
      print(`[quorum] ${line}`),
    );
    const statefulEnv = { ...options.statefulEnv, ...replicas?.env };
    const start = (app: "stateful" | "stateless") =>
      startStack(current.supervisor, current.shared, {
        app,
        ...ports[app],
        strategy: app === "stateful" ? options.statefulStrategy : options.statelessStrategy,
        lb: options.lb,
        env: app === "stateful" ? statefulEnv : options.statelessEnv,
      });
    print("starting the instances and the load balancers…");
    const stacks = await Promise.all([start("stateful"), start("stateless")]);
    if (stopping) return;
    const servers = serverControls(current, (line) => print(`[infra] ${line}`));
    const control = new LabControl({ stacks, servers }, print);
    dashboard = new Dashboard({
      stacks,
      servers,
      control,
      redisUrl: current.shared.redisUrl,
      redisPrefix: current.shared.redisPrefix,
      log: print,
    });
    server = await serveDashboard(dashboard, ports.dashboard, {
      ...notRunningPanels,
      lease: leasePanel(stacks),
      ...(replicas ? { quorum: replicas.panel } : {}),
    });
    if (stopping) return;
    printBanner(current, stacks, server, { ...options, statefulEnv }, print);
    if (replicas) print(`session replicas (SESSION_STORE=quorum): ${replicas.describe}`);
  } catch (error) {
    // A start that failed half-way stops what it had started, the lab's own Postgres and Redis included.
    if (!stopping) await close().catch(() => {});
    throw error;
  }
  for (const child of current.supervisor.list()) {
    void watchExit(child, () => stopping, print);
  }
  // Runs until a signal.
  setInterval(() => {}, 1 << 30);
}

async function watchExit(child: Child, isStopping: () => boolean, print: (line: string) => void) {
  await child.waitExit();
  if (!isStopping() && !child.isExitRequested)
    print(`! ${child.spec.name} exited; its last output:\n${child.output().slice(-2000)}`);
}
