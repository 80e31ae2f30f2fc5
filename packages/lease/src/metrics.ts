import { Gauge, type Registry } from "prom-client";
import type { Leases } from "./lease.js";
import type { Singleton } from "./singleton.js";

/**
 * Lease gauges on an app's registry, read from the live stats at scrape time:
 * holder (1 on the instance that holds), token, renewals, losses, and the guarded
 * job's runs and stale writes. Counters are exposed as gauges because they are
 * collected, not incremented here; they only ever grow.
 */
export function registerLeaseMetrics(registry: Registry, leases: Leases, singletons: Singleton[] = []): void {
  const gauge = (name: string, help: string, read: (set: (labels: { lease: string }, value: number) => void) => void) =>
    new Gauge({
      name,
      help,
      labelNames: ["lease"],
      registers: [registry],
      collect() {
        this.reset();
        read((labels, value) => this.set(labels, value));
      },
    });
  const each =
    (pick: (s: ReturnType<Leases["stats"]>[number]) => number) => (set: (l: { lease: string }, v: number) => void) => {
      for (const s of leases.stats()) set({ lease: s.name }, pick(s));
    };
  gauge(
    "lease_holder",
    "1 while this instance holds the lease",
    each((s) => (s.isHolder ? 1 : 0)),
  );
  gauge(
    "lease_token",
    "this instance's current or last fencing token",
    each((s) => s.token),
  );
  gauge(
    "lease_acquisitions_total",
    "leases acquired by this instance",
    each((s) => s.acquisitions),
  );
  gauge(
    "lease_renewals_total",
    "successful renewals",
    each((s) => s.renewals),
  );
  gauge(
    "lease_losses_total",
    "leases lost (failed or late renewal, deadline)",
    each((s) => s.losses),
  );
  gauge("lease_job_runs_total", "runs of the lease-guarded job on this instance", (set) => {
    for (const s of singletons) set({ lease: s.stats().name }, s.stats().runs);
  });
  gauge("lease_stale_writes_total", "writes with a stale fencing token (refused when the fence checks)", (set) => {
    for (const s of singletons) set({ lease: s.stats().name }, s.stats().staleRejected + s.stats().staleAccepted);
  });
}
