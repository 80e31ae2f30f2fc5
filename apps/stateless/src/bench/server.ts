/**
 * The benchmark's server process. BENCH_MODE=app: the real stateless app on
 * PORT and, on BENCH_NOAUTH_PORT, the same /me from the same build with a fixed
 * user instead of a token. BENCH_MODE=peer: the common peer (express-jwt +
 * jsonwebtoken) guarding the same /me, with a KeyObject made once at start.
 */
import { createPublicKey, createSecretKey } from "node:crypto";
import { loadOrCreateSecret, openBackendState } from "@statelab/backend";
import { createHttpApp, createLogger } from "@statelab/http";
import { userRoutes } from "@statelab/users";
import type express from "express";
import { expressjwt } from "express-jwt";
import { createApp, describeTokenAuth } from "../app.js";
import { loadStatelessConfig } from "../config.js";
import { statelessMigrations } from "../migrations.js";
import { loadKeySet } from "../tokens/keys.js";

const config = loadStatelessConfig({ ...process.env, LOG_REQUESTS: "false", MIGRATE_ON_START: "true" });
const logger = createLogger({ name: "bench", instanceId: config.instanceId, level: "warn" });
const { users, authenticate, signup, redis, pool, redisConnected } = await openBackendState(config, logger, {
  migrations: statelessMigrations,
  deviceSecret: loadOrCreateSecret(config.keyDir, "device-secret"),
});
await redisConnected;
const fixedUserId = String(process.env.BENCH_USER_ID);
const httpOptions = { instanceId: config.instanceId, logger, readiness: {}, logRequests: false };
const listen = (app: express.Express, port: number) =>
  new Promise<void>((resolve) => app.listen(port, "127.0.0.1", () => resolve()));

if (process.env.BENCH_MODE === "peer") {
  const keys = loadKeySet(config.keyDir, "ES256");
  const peers: [number, Parameters<typeof expressjwt>[0]][] = [
    [
      config.port,
      { secret: createSecretKey(Buffer.from(String(process.env.BENCH_HS256_SECRET))), algorithms: ["HS256"] },
    ],
    [Number(process.env.BENCH_NOAUTH_PORT), { secret: createPublicKey(keys.signer.key), algorithms: ["ES256"] }],
  ];
  for (const [port, options] of peers) {
    const guard = expressjwt({ ...options, issuer: config.issuer, audience: config.audience } as Parameters<
      typeof expressjwt
    >[0]);
    const routes = userRoutes({
      users,
      signup,
      instanceId: config.instanceId,
      authenticated: [guard as unknown as express.RequestHandler],
      describeAuth: (req) => ({
        userId: String((req as unknown as { auth: { sub: string } }).auth.sub),
        auth: { kind: "jwt" },
      }),
    });
    await listen(createHttpApp(httpOptions, routes), port);
  }
} else {
  const keys = loadKeySet(config.keyDir, config.jwtAlg);
  const app = createApp({
    config,
    users,
    authenticate,
    signup,
    pool,
    redis,
    keys,
    logger,
  });
  const fixedUser: express.RequestHandler = (req, _res, next) => {
    req.claims = { sub: fixedUserId, jti: "bench", exp: Math.floor(Date.now() / 1000) + 300, ep: 0, fid: "bench" };
    next();
  };
  const noAuth = userRoutes({
    users,
    signup,
    instanceId: config.instanceId,
    authenticated: [fixedUser],
    describeAuth: describeTokenAuth,
  });
  await listen(app, config.port);
  await listen(createHttpApp(httpOptions, noAuth), Number(process.env.BENCH_NOAUTH_PORT));
}
process.send?.("ready");
// A clean exit on SIGTERM (so --cpu-prof can write its profile), and with the bench that forked it.
process.once("SIGTERM", () => process.exit(0));
process.once("disconnect", () => process.exit(0));
