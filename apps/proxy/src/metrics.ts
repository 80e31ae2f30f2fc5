import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { BackendSet } from "./backend-set.js";
import type { ProxyErrorCode } from "./errors.js";

export interface ProxyMetrics {
  readonly registry: Registry;
  response(backendId: string, status: number): void;
  error(code: ProxyErrorCode): void;
  retry(): void;
}

/** A registry per proxy (not prom-client's global one), so two proxies in one process never mix counts. */
export function createProxyMetrics(set: BackendSet, strategyName: () => string): ProxyMetrics {
  const registry = new Registry();
  const responses = new Counter({
    name: "statelab_proxy_responses_total",
    help: "Responses relayed from backends, by backend and status class.",
    labelNames: ["backend", "class"],
    registers: [registry],
  });
  const errors = new Counter({
    name: "statelab_proxy_errors_total",
    help: "Error responses the proxy made itself, by code.",
    labelNames: ["code"],
    registers: [registry],
  });
  const retries = new Counter({
    name: "statelab_proxy_retries_total",
    help: "Idempotent requests retried on another backend after a connection failure.",
    registers: [registry],
  });
  new Gauge({
    name: "statelab_proxy_backend_up",
    help: "1 when the backend passes health checks.",
    labelNames: ["backend"],
    registers: [registry],
    collect() {
      for (const backend of set.all) this.set({ backend: backend.id }, backend.isUp ? 1 : 0);
    },
  });
  new Gauge({
    name: "statelab_proxy_backend_draining",
    help: "1 when the backend is draining (takes no new requests).",
    labelNames: ["backend"],
    registers: [registry],
    collect() {
      for (const backend of set.all) this.set({ backend: backend.id }, backend.isDraining ? 1 : 0);
    },
  });
  new Gauge({
    name: "statelab_proxy_backend_in_flight",
    help: "Requests currently being relayed to the backend.",
    labelNames: ["backend"],
    registers: [registry],
    collect() {
      for (const backend of set.all) this.set({ backend: backend.id }, backend.inFlight);
    },
  });
  new Gauge({
    name: "statelab_proxy_strategy_info",
    help: "The active strategy (value is always 1).",
    labelNames: ["strategy"],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ strategy: strategyName() }, 1);
    },
  });
  collectDefaultMetrics({ register: registry, prefix: "statelab_proxy_" });

  // Label lookup hashes label values; caching the children keeps it off the hot path.
  const children = new Map<string, ReturnType<typeof responses.labels>[]>();
  for (const backend of set.all) {
    children.set(
      backend.id,
      ["1xx", "2xx", "3xx", "4xx", "5xx"].map((statusClass) => responses.labels(backend.id, statusClass)),
    );
  }
  return {
    registry,
    response(backendId, status) {
      children.get(backendId)?.[Math.min(4, Math.max(0, Math.floor(status / 100) - 1))]?.inc();
    },
    error(code) {
      errors.inc({ code });
    },
    retry() {
      retries.inc();
    },
  };
}
