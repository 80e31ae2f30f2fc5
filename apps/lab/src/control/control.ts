import { isStrategyName, strategyNames } from "@statelab/proxy";
import type { Child } from "../children.js";
import type { Stack } from "../topology.js";
import { ControlError, type FaultKind, type FaultRequest } from "./faults.js";
import type { ServerControl } from "./servers.js";

/** One fault as it happened: what the dashboard marks on its charts and `statelab fault` prints. */
export interface FaultRecord {
  id: number;
  /** Date.now() when the action began. */
  at: number;
  kind: FaultKind;
  target: string;
  /** The stack the target belongs to; null for Postgres and Redis, which every stack shares. */
  stack: string | null;
  value: string | null;
  forMs: number | null;
  /** When the automatic undo is due; null when there is none. */
  undoAt: number | null;
  /** What was done, for a person. */
  detail: string;
  /** The record this one undoes automatically; null for a fault asked for by hand. */
  undoOf: number | null;
}

export interface ControlTargets {
  stacks: readonly Stack[];
  servers: readonly ServerControl[];
}

/** What applying one fault means: a lock key (faults on one thing queue and cancel each other's undo), the work, its undo. */
interface Plan {
  key: string;
  stack: string | null;
  run(): Promise<string>;
  undo: FaultRequest | null;
}

const keepRecords = 200;
export const sessionStores = ["redis", "memory"] as const;

/**
 * The live lab's orchestration, shared by the dashboard's buttons and `statelab fault`:
 * kill / pause / resume / restart a process, stop / start a server, switch a proxy's
 * strategy or the stateful store. Actions run one at a time, in order; a fault with a
 * duration schedules its own undo, which a later action on the same target cancels.
 */
export class LabControl {
  readonly #targets: ControlTargets;
  readonly #log: (line: string) => void;
  readonly #records: FaultRecord[] = [];
  readonly #undos = new Map<string, NodeJS.Timeout>();
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #isClosed = false;

  constructor(targets: ControlTargets, log: (line: string) => void) {
    this.#targets = targets;
    this.#log = log;
  }

  /** The latest faults, oldest first. */
  records(): readonly FaultRecord[] {
    return this.#records;
  }

  /** The SESSION_STORE a stateful stack's instances start with; null for a stateless stack. */
  storeOf(stack: Stack): string | null {
    if (stack.app !== "stateful") return null;
    return stack.instances[0]?.child.spec.env.SESSION_STORE ?? "redis";
  }

  /** Validates the target at once (ControlError), then runs after the actions queued before it. */
  apply(request: FaultRequest, undoOf: number | null = null): Promise<FaultRecord> {
    if (this.#isClosed) return Promise.reject(new ControlError("conflict", "the lab is shutting down"));
    const plan = this.#plan(request);
    const result = this.#queue.then(() => this.#execute(request, plan, undoOf));
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Cancels every pending undo and waits for the action under way. */
  async close(): Promise<void> {
    this.#isClosed = true;
    for (const timer of this.#undos.values()) clearTimeout(timer);
    this.#undos.clear();
    await this.#queue;
  }

  async #execute(request: FaultRequest, plan: Plan, undoOf: number | null): Promise<FaultRecord> {
    const pending = this.#undos.get(plan.key);
    if (pending && undoOf === null) {
      clearTimeout(pending);
      this.#undos.delete(plan.key);
    }
    const at = Date.now();
    const done = await plan.run();
    const detail = undoOf === null ? done : `${done} (end of fault ${undoOf})`;
    const undo = request.forMs !== null ? plan.undo : null;
    const record: FaultRecord = {
      id: this.#nextId++,
      at,
      kind: request.kind,
      target: request.target,
      stack: plan.stack,
      value: request.value,
      forMs: request.forMs,
      undoAt: undo && request.forMs !== null ? Date.now() + request.forMs : null,
      detail,
      undoOf,
    };
    this.#records.push(record);
    if (this.#records.length > keepRecords) this.#records.shift();
    this.#log(`fault ${record.id}: ${detail}${record.undoAt ? ` (undone in ${request.forMs} ms)` : ""}`);
    if (undo && request.forMs !== null && !this.#isClosed) this.#scheduleUndo(plan.key, undo, request.forMs, record.id);
    return record;
  }

  #scheduleUndo(key: string, undo: FaultRequest, afterMs: number, undoOf: number): void {
    const timer = setTimeout(() => {
      this.#undos.delete(key);
      this.apply(undo, undoOf).catch((error: unknown) =>
        this.#log(`fault ${undoOf}: its undo failed: ${(error as Error).message}`),
      );
    }, afterMs);
    this.#undos.set(key, timer);
  }

  #plan(request: FaultRequest): Plan {
    const { kind, target } = request;
    const undoOf = (kind: FaultKind, value: string | null = null): FaultRequest => ({
      kind,
      target,
      value,
      forMs: null,
    });
    switch (kind) {
      case "kill":
      case "pause":
      case "resume": {
        const { child, stack } = this.#instance(target);
        const on = { key: target, stack };
        if (kind === "kill") return { ...on, run: () => kill(child, target), undo: undoOf("restart") };
        if (kind === "pause") return { ...on, run: async () => pause(child, target), undo: undoOf("resume") };
        return { ...on, run: async () => resume(child, target), undo: null };
      }
      case "restart": {
        const { child, stack } = this.#process(target);
        return { key: target, stack, run: () => restart(child, target), undo: null };
      }
      case "stop":
      case "start": {
        const server = this.#server(target);
        const on = { key: target, stack: null };
        if (kind === "start") return { ...on, run: () => server.start().then(() => `${target} started`), undo: null };
        return { ...on, run: () => server.stop().then(() => `${target} stopped`), undo: undoOf("start") };
      }
      case "strategy":
        return this.#strategyPlan(request);
      case "store":
        return this.#storePlan(request);
    }
  }

  #strategyPlan(request: FaultRequest): Plan {
    const stack = this.#stack(request.target);
    const adminUrl = stack.adminUrl;
    const name = request.value;
    if (!isStrategyName(name)) {
      throw new ControlError("bad_request", `strategy must be one of ${strategyNames.join(", ")}`);
    }
    if (adminUrl === null) {
      throw new ControlError("conflict", `${stack.label} runs behind HAProxy, whose strategy is fixed in its config`);
    }
    const plan: Plan = {
      key: `strategy:${stack.label}`,
      stack: stack.label,
      undo: null,
      run: async () => {
        const previous = await adminJson(`${adminUrl}/strategy`, "GET");
        await adminJson(`${adminUrl}/strategy`, "PUT", { strategy: name });
        plan.undo = { ...request, value: String(previous.strategy), forMs: null };
        return `${stack.label} proxy: strategy ${previous.strategy} → ${name}`;
      },
    };
    return plan;
  }

  #storePlan(request: FaultRequest): Plan {
    const stack = this.#stack(request.target);
    const store = request.value;
    if (stack.app !== "stateful") throw new ControlError("bad_request", `${stack.label} has no session store`);
    if (!sessionStores.includes(store as (typeof sessionStores)[number])) {
      throw new ControlError("bad_request", `store must be one of ${sessionStores.join(", ")}`);
    }
    const previous = this.storeOf(stack) ?? "redis";
    return {
      key: `store:${stack.label}`,
      stack: stack.label,
      undo: { ...request, value: previous, forMs: null },
      run: async () => {
        // One at a time, like a rolling deploy: the others keep serving meanwhile.
        for (const instance of stack.instances) {
          instance.child.updateEnv({ SESSION_STORE: store as string });
          this.#log(`store switch: ${await restart(instance.child, instance.id)} with SESSION_STORE=${store}`);
        }
        return `${stack.label}: SESSION_STORE ${previous} → ${store} (instances restarted one by one)`;
      },
    };
  }

  #stack(label: string): Stack {
    const stack = this.#targets.stacks.find((s) => s.label === label);
    if (!stack)
      throw notFound(
        label,
        this.#targets.stacks.map((s) => s.label),
      );
    return stack;
  }

  #instance(id: string): { child: Child; stack: string } {
    for (const stack of this.#targets.stacks) {
      const instance = stack.instances.find((i) => i.id === id);
      if (instance) return { child: instance.child, stack: stack.label };
    }
    throw notFound(
      id,
      this.#targets.stacks.flatMap((s) => s.instances.map((i) => i.id)),
    );
  }

  /** An instance, or a stack's load balancer as `proxy-<label>`. */
  #process(name: string): { child: Child; stack: string } {
    const proxy = this.#targets.stacks.find((s) => `proxy-${s.label}` === name);
    return proxy ? { child: proxy.proxy, stack: proxy.label } : this.#instance(name);
  }

  #server(name: string): ServerControl {
    const server = this.#targets.servers.find((s) => s.name === name);
    if (!server)
      throw notFound(
        name,
        this.#targets.servers.map((s) => s.name),
      );
    return server;
  }
}

function notFound(name: string, known: string[]): ControlError {
  return new ControlError("not_found", `no target "${name}" here; known: ${known.join(", ")}`);
}

async function kill(child: Child, id: string): Promise<string> {
  if (!child.isRunning) throw new ControlError("conflict", `${id} is not running`);
  const pid = child.pid;
  await child.crash();
  return `kill -9 ${id} (pid ${pid})`;
}

function pause(child: Child, id: string): string {
  if (!child.isRunning) throw new ControlError("conflict", `${id} is not running`);
  child.pause();
  return `SIGSTOP ${id} (pid ${child.pid})`;
}

function resume(child: Child, id: string): string {
  if (!child.isRunning) throw new ControlError("conflict", `${id} is not running`);
  child.resume();
  return `SIGCONT ${id} (pid ${child.pid})`;
}

async function restart(child: Child, id: string): Promise<string> {
  const wasRunning = child.isRunning;
  await child.restart();
  return `${wasRunning ? "restarted" : "started"} ${id} (pid ${child.pid})`;
}

async function adminJson(url: string, method: string, body?: object): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method,
    // Every write is JSON, body or not: the admin API refuses anything a web page could send.
    headers: { "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(3000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
