import express, { type Express, type RequestHandler, type Router } from "express";
import { pinoHttp } from "pino-http";
import { jsonBody } from "./body.js";
import { errorHandler, notFound } from "./error-handler.js";
import { healthRoutes, type ReadinessCheck } from "./health.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { instanceIdHeader, rejectUnusedMethods, requestIdOf } from "./request-context.js";

export interface HttpAppOptions {
  instanceId: string;
  logger: Logger;
  /** Dependencies /readyz checks, by name (e.g. postgres, redis). */
  readiness: Record<string, ReadinessCheck>;
  metrics?: Metrics;
  /** Request bodies above this are a 413 before they are parsed. */
  bodyLimitBytes?: number;
  /**
   * Express's `trust proxy`: false (the default: X-Forwarded-For is ignored, so a client
   * cannot pick the IP that rate limits key on) or the proxy hops' exact addresses.
   */
  trustProxy?: false | string;
  /** One log line per request (pino-http); off for benchmarks. */
  logRequests?: boolean;
}

export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

const instanceIds = new WeakMap<Express, string>();

/**
 * Every answer of these APIs carries a credential (a session cookie, tokens) or a user's
 * data, and an error answer is never worth caching either: `no-store` by default, so no
 * browser or shared cache keeps one (H5). A route that serves public data (the JWKS)
 * sets its own Cache-Control over this.
 */
const noStore: RequestHandler = function noStore(_req, res, next) {
  res.setHeader("Cache-Control", "no-store");
  next();
};

/**
 * The instance id an app from createHttpApp answers with, so serve() can put it on
 * the raw 400/431 that Node writes before express runs. Undefined for other apps.
 */
export function instanceIdOf(app: Express): string | undefined {
  return instanceIds.get(app);
}

/**
 * The express app both backends share: instance and request ids, method guard,
 * metrics, request logs, JSON-only bodies, /healthz, /readyz, /metrics, then the
 * app's own routes, then JSON 404 and the one error handler. Never listens.
 */
export function createHttpApp(options: HttpAppOptions, routes: Router): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", options.trustProxy ?? false);
  app.set("etag", false);
  app.use(noStore);
  app.use(instanceIdHeader(options.instanceId));
  // After instanceIdHeader has checked it: serve() writes it into a raw response head.
  instanceIds.set(app, options.instanceId);
  if (options.logRequests ?? true) {
    app.use(
      pinoHttp({
        logger: options.logger,
        genReqId: (req, res) => {
          const id = requestIdOf(req.headers["x-request-id"]);
          res.setHeader("X-Request-Id", id);
          return id;
        },
        // Path only: a query string could carry a token (S10).
        serializers: {
          req: (req: { id: unknown; method: string; url: string }) => ({
            id: req.id,
            method: req.method,
            path: req.url.split("?")[0],
          }),
          res: (res: { statusCode: number }) => ({ status: res.statusCode }),
        },
      }),
    );
  } else {
    app.use((req, res, next) => {
      const id = requestIdOf(req.headers["x-request-id"]);
      req.id = id;
      res.setHeader("X-Request-Id", id);
      next();
    });
  }
  app.use(rejectUnusedMethods);
  if (options.metrics) {
    app.use(options.metrics.middleware);
    app.get("/metrics", options.metrics.handler);
  }
  app.use(jsonBody({ limitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES }));
  app.use(healthRoutes(options.readiness));
  app.use(routes);
  app.use(notFound);
  app.use(errorHandler(options.logger));
  return app;
}
