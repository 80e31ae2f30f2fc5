import { Router } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createHttpApp } from "./app.js";
import { createLogger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";

const logger = createLogger({ name: "test", instanceId: "test", level: "silent" });

function metricsApp(metrics: Metrics) {
  const routes = Router();
  routes.get("/items/:id", (req, res) => {
    res.json({ id: req.params.id });
  });
  routes.get("/items/:id/fail", () => {
    throw new Error("boom");
  });
  const api = Router();
  api.get("/orders/:orderId", (req, res) => {
    res.json({ id: req.params.orderId });
  });
  routes.use("/api", api);
  return createHttpApp({ instanceId: "m1", logger, readiness: {}, metrics, logRequests: false }, routes);
}

/** The value of http_requests_total for exactly these labels, or undefined. */
function requestsTotal(text: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^http_requests_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!match?.[1] || !match[2]) continue;
    const found = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[2]);
  }
  return undefined;
}

describe("/metrics", () => {
  it("GET /metrics → Prometheus text with http_requests_total and the duration histogram", async () => {
    const metrics = createMetrics({ instanceId: "m1", defaultMetrics: false });
    const app = metricsApp(metrics);
    await request(app).get("/items/1").expect(200);
    const res = await request(app).get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.text).toContain("# TYPE http_requests_total counter");
    expect(res.text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(res.text).toMatch(/^http_request_duration_seconds_bucket\{[^}]*route="\/items\/:id"/m);
  });

  it("requests to /items/12345 and /items/67890 → one series labelled route=/items/:id, no raw ids", async () => {
    const metrics = createMetrics({ instanceId: "m1", defaultMetrics: false });
    const app = metricsApp(metrics);
    await request(app).get("/items/12345").expect(200);
    await request(app).get("/items/67890").expect(200);
    const text = (await request(app).get("/metrics")).text;
    expect(requestsTotal(text, { method: "GET", route: "/items/:id", status: "200", instance: "m1" })).toBe(2);
    expect(text).not.toContain("12345");
    expect(text).not.toContain("67890");
  });

  it("a route in a router mounted at a fixed path → labelled with the full pattern", async () => {
    const metrics = createMetrics({ instanceId: "m1", defaultMetrics: false });
    const app = metricsApp(metrics);
    await request(app).get("/api/orders/o-777").expect(200);
    const text = (await request(app).get("/metrics")).text;
    expect(requestsTotal(text, { route: "/api/orders/:orderId", status: "200" })).toBe(1);
    expect(text).not.toContain("o-777");
  });

  it("a 500 from a route → counted with that route's pattern and status 500", async () => {
    const metrics = createMetrics({ instanceId: "m1", defaultMetrics: false });
    const app = metricsApp(metrics);
    await request(app).get("/items/99/fail").expect(500);
    const text = (await request(app).get("/metrics")).text;
    expect(requestsTotal(text, { route: "/items/:id/fail", status: "500" })).toBe(1);
  });

  it("unknown paths → one 'unmatched' series, never the raw path", async () => {
    const metrics = createMetrics({ instanceId: "m1", defaultMetrics: false });
    const app = metricsApp(metrics);
    await request(app).get("/scan/wp-admin.php").expect(404);
    await request(app).get("/scan/.env").expect(404);
    const text = (await request(app).get("/metrics")).text;
    expect(requestsTotal(text, { route: "unmatched", status: "404" })).toBe(2);
    expect(text).not.toContain("wp-admin");
    expect(text).not.toContain(".env");
  });

  it("two apps with their own Metrics in one process → independent counts", async () => {
    const first = metricsApp(createMetrics({ instanceId: "m1", defaultMetrics: false }));
    const second = metricsApp(createMetrics({ instanceId: "m1", defaultMetrics: false }));
    await request(first).get("/items/1").expect(200);
    await request(first).get("/items/2").expect(200);
    await request(second).get("/items/3").expect(200);
    expect(requestsTotal((await request(first).get("/metrics")).text, { route: "/items/:id" })).toBe(2);
    expect(requestsTotal((await request(second).get("/metrics")).text, { route: "/items/:id" })).toBe(1);
  });

  it("default process metrics are on unless disabled", async () => {
    const withDefaults = metricsApp(createMetrics({ instanceId: "m1" }));
    expect((await request(withDefaults).get("/metrics")).text).toContain("process_cpu_user_seconds_total");
    const without = metricsApp(createMetrics({ instanceId: "m1", defaultMetrics: false }));
    expect((await request(without).get("/metrics")).text).not.toContain("process_cpu_user_seconds_total");
  });

  it("without a Metrics option → GET /metrics is 404 not_found", async () => {
    const app = createHttpApp({ instanceId: "m1", logger, readiness: {}, logRequests: false }, Router());
    const res = await request(app).get("/metrics");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});
