import type { RequestHandler } from "express";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  /** Counts and times every request by method, matched route pattern and status. */
  middleware: RequestHandler;
  /** GET /metrics in Prometheus text format. */
  handler: RequestHandler;
}

/** One registry per app (not prom-client's global), so several apps can live in one test process. */
export function createMetrics(options: { instanceId: string; defaultMetrics?: boolean }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ instance: options.instanceId });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration",
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const middleware: RequestHandler = function metrics(req, res, next) {
    const start = process.hrtime.bigint();
    res.once("finish", () => {
      // The route pattern, never the raw path: ids in paths would explode the label set.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : "unmatched";
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
  const handler: RequestHandler = async function metricsHandler(_req, res) {
    res.set("Content-Type", registry.contentType).send(await registry.metrics());
  };
  return { registry, middleware, handler };
}
