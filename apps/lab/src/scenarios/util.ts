import type { StrategyName } from "@statelab/proxy";
import type { OutcomeCounts } from "../results.js";
import type { Stack } from "../topology.js";

/** "42.1%" — a share for a sentence or a table. */
export function pct(part: number, whole: number): string {
  if (whole === 0) return "n/a";
  return `${((part / whole) * 100).toFixed(part === 0 || part === whole ? 0 : 1)}%`;
}

/** Rounds for a table: whole numbers stay whole, others keep 1–2 decimals. */
export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export const emptyCounts = (): OutcomeCounts => ({ ok: 0, fail: 0, unknown: 0 });

export function countOk(counts: OutcomeCounts, isOk: boolean): OutcomeCounts {
  return isOk ? { ...counts, ok: counts.ok + 1 } : { ...counts, fail: counts.fail + 1 };
}

async function admin(stack: Stack, method: string, path: string, body?: object): Promise<unknown> {
  if (!stack.adminUrl) throw new Error(`${stack.label}: this load balancer has no admin API`);
  const res = await fetch(`${stack.adminUrl}${path}`, {
    method,
    // Every write is JSON, body or not: the admin API refuses anything a web page could send.
    headers: { "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`${stack.label}: admin ${method} ${path} → ${res.status}`);
  return res.json();
}

/** Switches the proxy's strategy at runtime (the admin API). */
export const setStrategy = (stack: Stack, strategy: StrategyName) => admin(stack, "PUT", "/strategy", { strategy });
export const drain = (stack: Stack, id: string) => admin(stack, "POST", `/backends/${id}/drain`);
export const enable = (stack: Stack, id: string) => admin(stack, "POST", `/backends/${id}/enable`);

/** What the proxy thinks of each instance right now: id → "up" / "down" / …. */
export async function backendHealth(stack: Stack): Promise<Record<string, string>> {
  const { backends } = (await admin(stack, "GET", "/backends")) as { backends: Array<{ id: string; health: string }> };
  return Object.fromEntries(backends.map((backend) => [backend.id, backend.health]));
}

/** Waits until the proxy sees every instance up again (after a restart), bounded. */
export async function waitAllUp(stack: Stack, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { backends } = (await admin(stack, "GET", "/backends")) as { backends: Array<{ health: string }> };
    if (backends.every((backend) => backend.health === "up")) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${stack.label}: not every instance was up after ${timeoutMs} ms`);
}
