import { Pool } from "undici";
import type { BackendSpec } from "./backend-list.js";

/** What the admin API shows for one backend. */
export interface BackendStatus {
  readonly id: string;
  readonly origin: string;
  readonly health: "up" | "down";
  readonly admin: "enabled" | "draining";
  /** Up and enabled: the strategies may pick it. */
  readonly isAvailable: boolean;
  readonly inFlight: number;
  readonly served: number;
  readonly failed: number;
  readonly lastError: string | null;
}

export type BackendEvent =
  | { readonly type: "backend_down"; readonly id: string; readonly reason: string; readonly isPassive: boolean }
  | { readonly type: "backend_up"; readonly id: string }
  | { readonly type: "backend_drain"; readonly id: string }
  | { readonly type: "backend_enable"; readonly id: string };

/** One upstream with its keep-alive pool and counters. Mutated only through BackendSet. */
export class Backend {
  readonly id: string;
  readonly origin: string;
  readonly pool: Pool;
  isUp = true;
  isDraining = false;
  inFlight = 0;
  served = 0;
  failed = 0;
  okStreak = 0;
  failStreak = 0;
  lastError: string | null = null;

  constructor(spec: BackendSpec, connectTimeoutMs: number, sourceAddress?: string) {
    this.id = spec.id;
    this.origin = spec.origin;
    // Below Node's default 5 s server keep-alive, so we close idle sockets before the backend does.
    this.pool = new Pool(spec.origin, {
      connect: { timeout: connectTimeoutMs },
      keepAliveTimeout: 4_000,
      ...(sourceAddress ? { localAddress: sourceAddress } : {}),
    });
  }

  status(): BackendStatus {
    return {
      id: this.id,
      origin: this.origin,
      health: this.isUp ? "up" : "down",
      admin: this.isDraining ? "draining" : "enabled",
      isAvailable: this.isUp && !this.isDraining,
      inFlight: this.inFlight,
      served: this.served,
      failed: this.failed,
      lastError: this.lastError,
    };
  }
}

export interface BackendSetOptions {
  readonly rise: number;
  readonly fall: number;
  readonly connectTimeoutMs: number;
  /** Connections to backends come from this local address (see ProxyOptions.sourceAddress). */
  readonly sourceAddress?: string;
  readonly onEvent: (event: BackendEvent) => void;
}

/** The backends, their health and admin state, and the cached list strategies pick from. */
export class BackendSet {
  readonly all: readonly Backend[];
  #available: readonly Backend[];
  readonly #byId: ReadonlyMap<string, Backend>;
  readonly #options: BackendSetOptions;

  constructor(specs: readonly BackendSpec[], options: BackendSetOptions) {
    this.#options = options;
    this.all = specs.map((spec) => new Backend(spec, options.connectTimeoutMs, options.sourceAddress));
    this.#byId = new Map(this.all.map((backend) => [backend.id, backend]));
    this.#available = this.all;
  }

  /** Up and enabled backends, recomputed only when a state changes (not per request). */
  available(): readonly Backend[] {
    return this.#available;
  }

  get(id: string): Backend | undefined {
    return this.#byId.get(id);
  }

  /** An active check's result, applied with HAProxy's rise/fall hysteresis. */
  recordCheck(backend: Backend, isOk: boolean, error?: string): void {
    if (isOk) {
      backend.failStreak = 0;
      backend.okStreak++;
      if (!backend.isUp && backend.okStreak >= this.#options.rise) {
        backend.isUp = true;
        backend.lastError = null;
        this.#changed({ type: "backend_up", id: backend.id });
      }
      return;
    }
    backend.okStreak = 0;
    backend.failStreak++;
    backend.lastError = error ?? "check failed";
    if (backend.isUp && backend.failStreak >= this.#options.fall) this.#down(backend, backend.lastError, false);
  }

  /**
   * Passive ejection: live traffic saw the backend fail to connect or answer in time. It
   * stays out until active checks see `rise` successes, so a dead backend costs one failed
   * attempt, not one per request until the next check.
   */
  eject(backend: Backend, reason: string): void {
    backend.lastError = reason;
    backend.okStreak = 0;
    if (backend.isUp) this.#down(backend, reason, true);
  }

  drain(backend: Backend): void {
    if (backend.isDraining) return;
    backend.isDraining = true;
    this.#changed({ type: "backend_drain", id: backend.id });
  }

  enable(backend: Backend): void {
    if (!backend.isDraining) return;
    backend.isDraining = false;
    this.#changed({ type: "backend_enable", id: backend.id });
  }

  async close(): Promise<void> {
    // destroy, not close: close waits for queued requests, and callers close servers first.
    await Promise.all(this.all.map((backend) => backend.pool.destroy()));
  }

  #down(backend: Backend, reason: string, isPassive: boolean): void {
    backend.isUp = false;
    this.#changed({ type: "backend_down", id: backend.id, reason, isPassive });
  }

  #changed(event: BackendEvent): void {
    this.#available = this.all.filter((backend) => backend.isUp && !backend.isDraining);
    this.#options.onEvent(event);
  }
}
