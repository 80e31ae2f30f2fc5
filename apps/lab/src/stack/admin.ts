import type { BackendStatus, StrategyName } from "@statelab/proxy";
import type { Stack } from "./stack.js";

/**
 * The built-in proxy's admin API (apps/proxy), the one client the lab has of it: the
 * scenarios drain, enable and inspect instances, the control API switches strategies,
 * the dashboard reads the backends. HAProxy has no such API (`adminUrl` null).
 */
async function admin(
  stack: Stack,
  method: string,
  path: string,
  options: { body?: object; timeoutMs?: number } = {},
): Promise<Record<string, unknown>> {
  if (!stack.adminUrl) throw new Error(`${stack.label}: this load balancer has no admin API`);
  const res = await fetch(`${stack.adminUrl}${path}`, {
    method,
    // Every write is JSON, body or not: the admin API refuses anything a web page could send.
    headers: { "content-type": "application/json" },
    body: options.body ? JSON.stringify(options.body) : undefined,
    signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${stack.label}: admin ${method} ${path} → ${res.status} ${text}`.trim());
  return JSON.parse(text) as Record<string, unknown>;
}

/** The proxy's strategy right now. */
export const strategyOf = async (stack: Stack, timeoutMs?: number) =>
  String((await admin(stack, "GET", "/strategy", { timeoutMs })).strategy);
/** Switches the proxy's strategy at runtime. */
export const setStrategy = (stack: Stack, strategy: StrategyName, timeoutMs?: number) =>
  admin(stack, "PUT", "/strategy", { body: { strategy }, timeoutMs });
export const drain = (stack: Stack, id: string) => admin(stack, "POST", `/backends/${id}/drain`);
export const enable = (stack: Stack, id: string) => admin(stack, "POST", `/backends/${id}/enable`);

/** The strategy and every backend as the proxy sees it (health, in flight, served, failed). */
export const backends = async (stack: Stack, timeoutMs?: number) =>
  (await admin(stack, "GET", "/backends", { timeoutMs })) as { strategy: string; backends: BackendStatus[] };

/** What the proxy thinks of each instance right now: id → "up" / "down" / …. */
export async function backendHealth(stack: Stack): Promise<Record<string, string>> {
  return Object.fromEntries((await backends(stack)).backends.map((backend) => [backend.id, backend.health]));
}
