import { randomBytes } from "node:crypto";
import path from "node:path";
import { startRedis } from "@statelab/infra";
import type { Lab } from "./lab.js";
import { labHome } from "./lab.js";
import type { ProgressBar, ScenarioContext, StackSpec } from "./scenario.js";
import { authKindOf } from "./scenario.js";
import { freePort, freePorts, type Stack, startStack, stopStack } from "./topology.js";
import { createUsers } from "./users.js";

export type ProgressFactory = (label: string, total: number) => ProgressBar;

/**
 * Running stacks shared across scenarios: starting 3 instances and a proxy costs
 * seconds on 2 cores, so scenarios that only read reuse one stack per spec.
 * Stacks a scenario breaks (`fresh`) are stopped when it ends.
 */
export class StackPool {
  private readonly lab: Lab;
  private readonly runId: string;
  private readonly shared = new Map<string, Promise<Stack>>();
  private readonly prefixes = new Map<Stack, string>();
  private fresh: Stack[] = [];
  private redisServers: Array<{ stop(): Promise<void> }> = [];

  constructor(lab: Lab, runId: string) {
    this.lab = lab;
    this.runId = runId;
  }

  get(spec: StackSpec): Promise<Stack> {
    if (spec.fresh) {
      return this.start(spec).then((stack) => {
        this.fresh.push(stack);
        return stack;
      });
    }
    const key = JSON.stringify(spec);
    let stack = this.shared.get(key);
    if (!stack) {
      stack = this.start(spec);
      this.shared.set(key, stack);
    }
    return stack;
  }

  prefixOf(stack: Stack): string {
    const prefix = this.prefixes.get(stack);
    if (!prefix) throw new Error(`stack ${stack.label} was not started by this pool`);
    return prefix;
  }

  private async start(spec: StackSpec): Promise<Stack> {
    const count = spec.count ?? 3;
    const [proxyPort, adminPort, ...ports] = await freePorts(count + 2);
    // Each stack gets its own key prefix, so a scenario can count exactly its own keys.
    const prefix = `lab:${this.runId}:${spec.label}:${randomBytes(2).toString("hex")}:`;
    const stack = await startStack(
      this.lab.supervisor,
      { ...this.lab.shared, redisPrefix: prefix, redisUrl: spec.redisUrl ?? this.lab.shared.redisUrl },
      {
        app: spec.app,
        label: spec.label,
        ports,
        proxyPort: proxyPort as number,
        adminPort: adminPort as number,
        strategy: spec.strategy ?? (spec.app === "stateful" ? "sticky-cookie" : "round-robin"),
        lb: spec.lb ?? "builtin",
        env: spec.env ?? {},
      },
    );
    this.prefixes.set(stack, prefix);
    return stack;
  }

  /** Ends what one scenario started for itself. */
  async endScenario(): Promise<void> {
    const fresh = this.fresh;
    const servers = this.redisServers;
    this.fresh = [];
    this.redisServers = [];
    await Promise.all(fresh.map(stopStack));
    await Promise.all(servers.map((server) => server.stop()));
  }

  async privateRedis() {
    const port = await freePort();
    const options = { stateDir: path.join(labHome, `redis-${port}`), port, log: () => {} };
    let service = await startRedis(options);
    const handle = {
      url: service.url,
      stop: () => service.stop(),
      start: async () => {
        service = await startRedis(options);
      },
    };
    this.redisServers.push(handle);
    return handle;
  }
}

export function createContext(
  lab: Lab,
  pool: StackPool,
  options: { quick: boolean; log(line: string): void; progress: ProgressFactory },
): ScenarioContext {
  return {
    quick: options.quick,
    shared: lab.shared,
    log: options.log,
    progress: options.progress,
    stack: (spec) => pool.get(spec),
    users: (stack, count) =>
      createUsers(stack.url, authKindOf(stack.app), count, stack.label.replace(/[^\w]/g, "").slice(0, 12)),
    prefixOf: (stack) => pool.prefixOf(stack),
    privateRedis: () => pool.privateRedis(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
