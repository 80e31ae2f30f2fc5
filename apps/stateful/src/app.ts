import { leaseRoutes, type RedisClient } from "@statelab/backend";
import { createHttpApp, type Logger, type Metrics, type ReadinessCheck } from "@statelab/http";
import type { Leases, Singleton } from "@statelab/lease";
import type { QuorumClient } from "@statelab/quorum";
import { type Authenticate, type Signup, type UserStore, userRoutes } from "@statelab/users";
import { type Request, Router } from "express";
import session from "express-session";
import { createSessionAuth, remainingTtlMs, sessionTimeouts } from "./auth.js";
import type { StatefulConfig } from "./config.js";
import { createConnectionBinding } from "./connection-binding.js";
import { rejectCrossSite } from "./csrf.js";
import { QuorumSessionStore } from "./quorum-session-store.js";
import { authRoutes } from "./routes/auth.js";
import type { RouteContext } from "./routes/context.js";
import { sessionRoutes } from "./routes/sessions.js";
import { createSessionCache } from "./session-cache.js";
import { createMemorySessionIndex, createQuorumSessionIndex, createRedisSessionIndex } from "./session-index.js";
import { HashedRedisStore } from "./session-store.js";
import "./session-data.js";

export interface StatefulDeps {
  config: StatefulConfig;
  users: UserStore;
  authenticate: Authenticate;
  signup: Signup;
  /** Connected by main.ts (or the test); the app never creates clients. */
  redis: RedisClient;
  /** SESSION_STORE=quorum: the client over the session replicas, made by main.ts (or the test). */
  quorum?: QuorumClient;
  /** Signs session cookies; the same on every instance. */
  secret: string;
  logger: Logger;
  readiness?: Record<string, ReadinessCheck>;
  metrics?: Metrics;
  /** This process's leases and the singleton job under them (GET /lease); main.ts passes them. */
  leases?: Leases;
  loginStatsJob?: Singleton | null;
}

/** GET /me's view of a cookie-session request. */
export function describeSessionAuth(req: Request) {
  const auth = req.auth as NonNullable<Request["auth"]>;
  return {
    userId: auth.userId,
    auth: { kind: "session", source: auth.source, expiresAt: auth.expiresAt?.toISOString() ?? null },
  };
}

/** Where sessions live (SESSION_STORE), and the per-user index that lists and ends them. */
function sessionStorage(deps: StatefulDeps, sessionPrefix: string, timeouts: ReturnType<typeof sessionTimeouts>) {
  const { config, redis } = deps;
  const ttlMs = (data: Parameters<typeof remainingTtlMs>[0]) => remainingTtlMs(data, timeouts);
  if (config.sessionStore === "redis") {
    const store = new HashedRedisStore({ client: redis, prefix: sessionPrefix, ttlMs });
    return { store, index: createRedisSessionIndex({ redis, prefix: config.redisPrefix, sessionPrefix }) };
  }
  if (config.sessionStore === "quorum") {
    if (!deps.quorum) throw new TypeError("createApp: SESSION_STORE=quorum needs a quorum client");
    const store = new QuorumSessionStore({
      client: deps.quorum,
      prefix: sessionPrefix,
      ttlMs,
      tombstoneTtlMs: timeouts.absoluteMs,
    });
    return { store, index: createQuorumSessionIndex({ redis, prefix: config.redisPrefix, store }) };
  }
  const store = new session.MemoryStore();
  return { store, index: createMemorySessionIndex(store) };
}

/** The stateful backend: sessions in Redis (or process memory, or a quorum of Redis servers), users in Postgres. Never listens. */
export function createApp(deps: StatefulDeps) {
  const { config, logger } = deps;
  if (deps.secret.length < 32) throw new TypeError("createApp: the session secret must be at least 32 characters");
  const sessionPrefix = `${config.redisPrefix}sess:`;
  const cache =
    config.sessionCacheSeconds > 0
      ? createSessionCache({ secret: deps.secret, ttlSeconds: config.sessionCacheSeconds, secure: config.cookieSecure })
      : null;
  const binding = config.authBinding === "connection" ? createConnectionBinding() : null;
  if (binding) {
    logger.warn(
      "AUTH_BINDING=connection is INSECURE and for demonstration only: a TCP connection, not a credential, " +
        "authenticates requests, so behind a pooling proxy one user's login is served to others",
    );
  }

  const timeouts = sessionTimeouts(config);
  const { store, index } = sessionStorage(deps, sessionPrefix, timeouts);
  const auth = createSessionAuth({ config, secret: deps.secret, store, cache, binding });

  const crossSite = rejectCrossSite(config.allowedOrigins);
  const ctx: RouteContext = {
    config,
    users: deps.users,
    authenticate: deps.authenticate,
    index,
    cache,
    binding,
    timeouts: auth.timeouts,
    authenticated: [crossSite, ...auth.authenticated],
    loadSession: auth.loadSession,
    rejectCrossSite: crossSite,
  };
  const routes = Router();
  // The paths are disjoint, so the order only decides how many routers a request passes
  // through: /me and /chat/partners, the busiest, first.
  routes.use(
    userRoutes({
      users: deps.users,
      signup: deps.signup,
      instanceId: config.instanceId,
      authenticated: ctx.authenticated,
      signupGuards: [crossSite],
      describeAuth: describeSessionAuth,
    }),
    authRoutes(ctx),
    sessionRoutes(ctx),
  );

  if (deps.leases) {
    routes.use(leaseRoutes({ leases: deps.leases, jobs: deps.loginStatsJob ? [deps.loginStatsJob] : [] }));
  }

  return createHttpApp(
    {
      instanceId: config.instanceId,
      logger,
      readiness: deps.readiness ?? {},
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      trustProxy: config.trustProxy,
      logRequests: config.logRequests,
    },
    routes,
  );
}
