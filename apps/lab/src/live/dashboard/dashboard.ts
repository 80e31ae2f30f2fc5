import { strategyNames } from "@statelab/proxy";
import { backends } from "../../stack/admin.js";
import type { Child } from "../../stack/children.js";
import type { Stack } from "../../stack/stack.js";
import {
  type FaultRecord,
  type LabControl,
  type ServerControl,
  type ServerName,
  type ServerState,
  sessionStores,
} from "../control/index.js";
import { DemoUsers, type DemoUserView } from "./demo-users.js";
import { SoftState, type SoftStateView } from "./soft-state.js";
import { Traffic, type TrafficView } from "./traffic.js";

export type ProcessState = "running" | "paused" | "down";

export interface InstanceView {
  id: string;
  url: string;
  pid: number | null;
  process: ProcessState;
  /** The proxy's health check verdict; unknown without an admin API (HAProxy) or while the proxy is down. */
  health: "up" | "down" | "unknown";
  admin: "enabled" | "draining" | null;
  inFlight: number | null;
  served: number | null;
  failed: number | null;
  lastError: string | null;
}

export interface StackView {
  label: string;
  app: Stack["app"];
  lb: Stack["lb"];
  url: string;
  strategy: string;
  /** SESSION_STORE of a stateful stack; null for stateless. */
  store: string | null;
  proxy: { name: string; process: ProcessState };
  instances: InstanceView[];
}

/** Everything the page shows, pushed once a second over server-sent events. */
export interface Snapshot {
  at: number;
  stacks: StackView[];
  servers: Array<{ name: ServerName; state: ServerState }>;
  traffic: TrafficView;
  demo: DemoUserView[];
  softState: SoftStateView;
  faults: readonly FaultRecord[];
  /** What the page's selects offer. */
  choices: { strategies: readonly string[]; stores: readonly string[] };
}

export interface DashboardOptions {
  stacks: readonly Stack[];
  servers: readonly ServerControl[];
  control: LabControl;
  redisUrl: string;
  redisPrefix: string;
  log(line: string): void;
  /** How often snapshots are pushed while someone watches. */
  tickMs?: number;
}

const processState = (child: Child): ProcessState =>
  !child.isRunning ? "down" : child.isPaused ? "paused" : "running";

/**
 * The dashboard's model: reads the topology (process states, the proxies' admin APIs),
 * the traffic, the demo users and the soft state into one snapshot, and pushes it to
 * subscribers once a tick. It only polls while someone is subscribed.
 */
export class Dashboard {
  readonly traffic: Traffic;
  readonly control: LabControl;
  readonly #options: DashboardOptions;
  readonly #demo: DemoUsers;
  readonly #softState: SoftState;
  readonly #subscribers = new Set<(snapshot: Snapshot) => void>();
  readonly #strategies = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #isTicking = false;

  constructor(options: DashboardOptions) {
    this.#options = options;
    this.control = options.control;
    this.traffic = new Traffic(options.stacks, options.log);
    this.#demo = new DemoUsers(options.stacks);
    this.#softState = new SoftState(options.redisUrl, options.redisPrefix);
    for (const stack of options.stacks) this.#strategies.set(stack.label, stack.strategy);
  }

  async snapshot(): Promise<Snapshot> {
    const [stacks, softState] = await Promise.all([
      Promise.all(this.#options.stacks.map((stack) => this.#stackView(stack))),
      this.#softState.read(),
    ]);
    return {
      at: Date.now(),
      stacks,
      servers: this.#options.servers.map((server) => ({ name: server.name, state: server.state() })),
      traffic: this.traffic.view(),
      demo: this.#demo.view(),
      softState,
      faults: this.control.records(),
      choices: { strategies: strategyNames, stores: sessionStores },
    };
  }

  /** Calls `listener` with a snapshot every tick until the returned function is called. */
  subscribe(listener: (snapshot: Snapshot) => void): () => void {
    this.#subscribers.add(listener);
    this.#timer ??= setInterval(() => void this.#tick(), this.#options.tickMs ?? 1000);
    return () => {
      this.#subscribers.delete(listener);
      if (this.#subscribers.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#subscribers.clear();
    await Promise.all([this.traffic.close(), this.#demo.close(), this.control.close()]);
    this.#softState.close();
  }

  async #tick(): Promise<void> {
    if (this.#isTicking) return;
    this.#isTicking = true;
    try {
      void this.#demo.tick();
      const snapshot = await this.snapshot();
      for (const listener of this.#subscribers) listener(snapshot);
    } catch (error) {
      this.#options.log(`dashboard: ${(error as Error).message}`);
    } finally {
      this.#isTicking = false;
    }
  }

  async #stackView(stack: Stack): Promise<StackView> {
    const admin = stack.adminUrl && stack.proxy.isRunning ? await backends(stack, 800).catch(() => null) : null;
    if (admin) this.#strategies.set(stack.label, admin.strategy);
    return {
      label: stack.label,
      app: stack.app,
      lb: stack.lb,
      url: stack.url,
      strategy: this.#strategies.get(stack.label) ?? stack.strategy,
      store: this.control.storeOf(stack),
      proxy: { name: `proxy-${stack.label}`, process: processState(stack.proxy) },
      instances: stack.instances.map((instance) => {
        const status = admin?.backends.find((backend) => backend.id === instance.id);
        return {
          id: instance.id,
          url: instance.url,
          pid: instance.child.pid ?? null,
          process: processState(instance.child),
          health: status ? status.health : "unknown",
          admin: status?.admin ?? null,
          inFlight: status?.inFlight ?? null,
          served: status?.served ?? null,
          failed: status?.failed ?? null,
          lastError: status?.lastError ?? null,
        };
      }),
    };
  }
}
