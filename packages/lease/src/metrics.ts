import { Counter, Gauge, type Registry } from "prom-client";
import type { LeaseStats, Leases } from "./lease.js";
import type { Singleton, SingletonStats } from "./singleton.js";

type Sample = [lease: string, value: number];

/**
 * Lease metrics on an app's registry, read from the live stats at scrape time:
 * holder (1 on the instance that holds), token, acquisitions, renewals, losses,
 * and the guarded job's runs and stale writes.
 */
export function registerLeaseMetrics(registry: Registry, leases: Leases, singletons: Singleton[] = []): void {
  const lease = (pick: (s: LeaseStats) => number) => (): Sample[] => leases.stats().map((s) => [s.name, pick(s)]);
  const job = (pick: (s: SingletonStats) => number) => (): Sample[] =>
    singletons.map((singleton) => singleton.stats()).map((s) => [s.name, pick(s)]);
  const gauge = (name: string, help: string, read: () => Sample[]) =>
    new Gauge({
      name,
      help,
      labelNames: ["lease"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [leaseName, value] of read()) this.set({ lease: leaseName }, value);
      },
    });
  // Counters kept by the lease code itself: copied at scrape time (reset, then the running total).
  const counter = (name: string, help: string, read: () => Sample[]) =>
    new Counter({
      name,
      help,
      labelNames: ["lease"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [leaseName, value] of read()) this.inc({ lease: leaseName }, value);
      },
    });
  gauge(
    "lease_holder",
    "1 while this instance holds the lease",
    lease((s) => (s.isHolder ? 1 : 0)),
  );
  gauge(
    "lease_token",
    "this instance's current or last fencing token",
    lease((s) => s.token),
  );
  counter(
    "lease_acquisitions_total",
    "leases acquired by this instance",
    lease((s) => s.acquisitions),
  );
  counter(
    "lease_renewals_total",
    "successful renewals",
    lease((s) => s.renewals),
  );
  counter(
    "lease_losses_total",
    "leases lost (failed or late renewal, deadline)",
    lease((s) => s.losses),
  );
  counter(
    "lease_job_runs_total",
    "runs of the lease-guarded job on this instance",
    job((s) => s.runs),
  );
  counter(
    "lease_stale_writes_total",
    "writes with a stale fencing token (refused when the fence checks)",
    job((s) => s.staleRejected + s.staleAccepted),
  );
}
