import { leaseRoutes, type RedisClient } from "@statelab/backend";
import { createHttpApp, type Logger, type Metrics, methodNotAllowed, type ReadinessCheck } from "@statelab/http";
import type { Leases, Singleton } from "@statelab/lease";
import { type Authenticate, type Signup, type UserStore, userRoutes } from "@statelab/users";
import { type Request, Router } from "express";
import type pg from "pg";
import { requireBearer } from "./bearer.js";
import type { StatelessConfig } from "./config.js";
import { tokenRoutes } from "./routes/auth.js";
import { createAccessTokens } from "./tokens/access-token.js";
import type { KeySet } from "./tokens/keys.js";
import { createRefreshStore } from "./tokens/refresh-store.js";
import { createRevocation } from "./tokens/revocation.js";

export interface StatelessDeps {
  config: StatelessConfig;
  users: UserStore;
  authenticate: Authenticate;
  signup: Signup;
  /** Refresh tokens and token epochs live here (the app's migrations must have run). */
  pool: pg.Pool;
  /** The denylist and epoch cache; connected by main.ts or the test. */
  redis: RedisClient;
  keys: KeySet;
  logger: Logger;
  readiness?: Record<string, ReadinessCheck>;
  metrics?: Metrics;
  /** This process's leases and the singleton job under them (GET /lease); main.ts passes them. */
  leases?: Leases;
  loginStatsJob?: Singleton | null;
}

/** GET /me's view of a bearer-token request. */
export function describeTokenAuth(req: Request) {
  const claims = req.claims as NonNullable<Request["claims"]>;
  return { userId: claims.sub, auth: { kind: "jwt", expiresAt: new Date(claims.exp * 1000).toISOString() } };
}

/**
 * The stateless backend: JWT access tokens, refresh tokens in Postgres; per user in the
 * process only /chat/partners and the verified-token cache, which decides nothing. Never listens.
 */
export function createApp(deps: StatelessDeps) {
  const { config } = deps;
  const tokens = createAccessTokens({
    keys: deps.keys,
    issuer: config.issuer,
    audience: config.audience,
    ttlSeconds: config.accessTtlSeconds,
    clockToleranceSeconds: config.clockToleranceSeconds,
    cacheSize: config.verifyCacheSize,
  });
  const revocation = createRevocation({
    mode: config.revocation,
    redis: deps.redis,
    pool: deps.pool,
    prefix: config.redisPrefix,
    accessTtlSeconds: config.accessTtlSeconds,
    clockToleranceSeconds: config.clockToleranceSeconds,
    failOpen: config.denylistFailOpen,
    logger: deps.logger,
  });
  const refresh = createRefreshStore({
    pool: deps.pool,
    ttlSeconds: config.refreshTtlSeconds,
    absoluteTtlSeconds: config.refreshAbsoluteTtlSeconds,
    graceSeconds: config.refreshGraceSeconds,
  });
  const authenticated = [requireBearer(tokens, revocation)];

  const routes = Router();
  routes
    .route("/.well-known/jwks.json")
    .get((_req, res) => {
      res.set("Cache-Control", "public, max-age=300").json(deps.keys.jwks);
    })
    .all(methodNotAllowed(["GET"]));
  routes.use(
    tokenRoutes({
      authenticate: deps.authenticate,
      findUser: (id) => deps.users.findById(id),
      tokens,
      refresh,
      revocation,
      accessTtlSeconds: config.accessTtlSeconds,
      authenticated,
    }),
    userRoutes({
      users: deps.users,
      signup: deps.signup,
      instanceId: config.instanceId,
      authenticated,
      describeAuth: describeTokenAuth,
    }),
  );

  if (deps.leases) {
    routes.use(leaseRoutes({ leases: deps.leases, jobs: deps.loginStatsJob ? [deps.loginStatsJob] : [] }));
  }

  return createHttpApp(
    {
      instanceId: config.instanceId,
      logger: deps.logger,
      readiness: deps.readiness ?? {},
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      trustProxy: config.trustProxy,
      logRequests: config.logRequests,
    },
    routes,
  );
}
