import type { LeaseStats, SingletonStats } from "@statelab/lease";
import type { Stack } from "../../stack/stack.js";
import type { PanelSource } from "./server.js";

interface InstanceLeaseView {
  id: string;
  leases: LeaseStats[];
  jobs: SingletonStats[];
}

async function leaseViewOf(id: string, url: string): Promise<InstanceLeaseView | null> {
  try {
    const res = await fetch(`${url}/lease`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return null;
    return { id, ...((await res.json()) as Omit<InstanceLeaseView, "id">) };
  } catch {
    return null; // a killed or paused instance simply does not answer
  }
}

/** The lease panel: asks every instance's GET /lease and says who holds each lease, with its fencing token. */
export function leasePanel(stacks: Stack[]): PanelSource {
  return async () => {
    const instances = stacks.flatMap((stack) => stack.instances);
    const views = (await Promise.all(instances.map((i) => leaseViewOf(i.id, i.url)))).filter(
      (view): view is InstanceLeaseView => view !== null,
    );
    const names = [...new Set(views.flatMap((view) => view.leases.map((lease) => lease.name)))];
    if (names.length === 0) {
      return { status: "not running", detail: `no instance answered /lease with a lease (${views.length} answered)` };
    }
    const leases = names.map((name) => {
      const holder = views.find((view) => view.leases.some((lease) => lease.name === name && lease.isHolder));
      const stats = holder?.leases.find((lease) => lease.name === name);
      const job = holder?.jobs.find((j) => j.name === name);
      const contenders = views.filter((view) => view.leases.some((lease) => lease.name === name)).length;
      const losses = views.reduce(
        (sum, view) => sum + view.leases.filter((l) => l.name === name).reduce((s, l) => s + l.losses, 0),
        0,
      );
      const summary = holder
        ? `${name}: held by ${holder.id} with fencing token ${stats?.token}; ${stats?.renewals} renewals, ` +
          `${job?.runs ?? 0} runs, ${job?.staleRejected ?? 0} stale writes refused; ${contenders} contenders, ${losses} losses in all`
        : `${name}: no holder right now (${contenders} contenders, ${losses} losses in all) — a new holder waits out the ttl`;
      return { name, holder: holder?.id ?? null, token: stats?.token ?? null, contenders, losses, summary };
    });
    return { status: "ok", leases, summary: leases.map((lease) => lease.summary).join("\n") };
  };
}
