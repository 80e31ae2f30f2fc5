import { randomBytes } from "node:crypto";
import path from "node:path";
import { type ActiveFault, type FaultSpec, type Relay, startRelay, startTimedFault } from "@statelab/faults";
import { startRedis } from "@statelab/infra";
import type { Lab } from "../stack/lab.js";
import { labHome } from "../stack/lab.js";
import { freePort, freePorts, type Stack, type StackSpec, startStack, stopStack } from "../stack/stack.js";
import { createUsers } from "../stack/users.js";
import type { ProgressBar, ScenarioContext } from "./scenario.js";
import { authKindOf } from "./scenario.js";

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
  private readonly relays = new Map<string, Promise<Relay>>();
  private faults: ActiveFault[] = [];

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
    const prefix = `lab:${this.runId}:${spec.label ?? spec.app}:${randomBytes(2).toString("hex")}:`;
    const stack = await startStack(
      this.lab.supervisor,
      { ...this.lab.shared, redisPrefix: prefix },
      { ...spec, ports, proxyPort: proxyPort as number, adminPort: adminPort as number },
    );
    this.prefixes.set(stack, prefix);
    return stack;
  }

  /**
   * Ends what one scenario started for itself: heals its faults first (a paused or
   * black-holed server never outlives it), then stops its stacks, relays and servers.
   * Resolves to what failed to heal, if anything, for the scenario's result.
   */
  async endScenario(): Promise<string | null> {
    const { fresh, redisServers, faults } = this;
    this.fresh = [];
    this.redisServers = [];
    this.faults = [];
    const heals = await Promise.allSettled(faults.map((fault) => fault.end()));
    for (const relay of await this.allRelays()) relay.clear();
    await Promise.all(fresh.map(stopStack));
    await Promise.all(redisServers.map((server) => server.stop()));
    const failed = heals.flatMap((heal, i) =>
      heal.status === "rejected" ? [`${faults[i]?.name} did not heal: ${String(heal.reason)}`] : [],
    );
    return failed.length > 0 ? failed.join("; ") : null;
  }

  /**
   * The relay named `name` in front of the lab's Redis or Postgres, started on first use
   * and shared by the scenarios after (as the stacks behind it are); back to pass when
   * each scenario ends, closed by `closeRelays` when the run ends.
   */
  relay(target: "redis" | "postgres", name: string): Promise<Relay> {
    let relay = this.relays.get(name);
    if (!relay) {
      const url = new URL(target === "redis" ? this.lab.shared.redisUrl : this.lab.shared.databaseUrl);
      relay = startRelay({ target: { host: url.hostname, port: Number(url.port) }, name });
      this.relays.set(name, relay);
      // A relay that could not start is not kept: the next scenario tries again.
      relay.catch(() => this.relays.delete(name));
    }
    return relay;
  }

  private allRelays(): Promise<Relay[]> {
    return Promise.all(this.relays.values());
  }

  /** After the stacks have stopped: no relay socket is left behind. */
  async closeRelays(): Promise<void> {
    const relays = await this.allRelays();
    this.relays.clear();
    await Promise.all(relays.map((relay) => relay.close()));
  }

  async fault(spec: FaultSpec): Promise<ActiveFault> {
    const fault = await startTimedFault(spec);
    this.faults.push(fault);
    return fault;
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
  options: { log(line: string): void; progress: ProgressFactory },
): ScenarioContext {
  return {
    shared: lab.shared,
    log: options.log,
    progress: options.progress,
    stack: (spec) => pool.get(spec),
    users: (stack, count) =>
      createUsers(stack.url, authKindOf(stack.app), count, stack.label.replace(/[^\w]/g, "").slice(0, 12)),
    prefixOf: (stack) => pool.prefixOf(stack),
    privateRedis: () => pool.privateRedis(),
    relay: (target, name) => pool.relay(target, name),
    fault: (spec) => pool.fault(spec),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** `url` (redis://…, postgres://…) with its host and port replaced by the relay's. */
export function viaRelay(url: string, relay: Relay): string {
  const through = new URL(url);
  through.hostname = relay.host;
  through.port = String(relay.port);
  return through.toString();
}
