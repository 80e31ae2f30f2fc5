import { methodNotAllowed } from "@statelab/http";
import type { Leases, Singleton } from "@statelab/lease";
import { Router } from "express";

/**
 * GET /lease: this instance's view of its leases (holder?, token, renewals, losses)
 * and of the jobs under them, as JSON for the dashboard. Like /metrics it names
 * instances and counters, nothing about users.
 */
export function leaseRoutes(options: { leases: Leases; jobs: Singleton[] }): Router {
  const router = Router();
  router
    .route("/lease")
    .get((_req, res) => {
      res.set("Cache-Control", "no-store").json({
        leases: options.leases.stats(),
        jobs: options.jobs.map((job) => job.stats()),
      });
    })
    .all(methodNotAllowed(["GET"]));
  return router;
}
