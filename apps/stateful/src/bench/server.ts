/**
 * The benchmark's server process: the real stateful app on BENCH_AUTH_PORT and,
 * on BENCH_NOAUTH_PORT, the same /me route from the same build with the auth
 * chain replaced by a fixed user. The difference between the two is what
 * session auth costs per request.
 */

import { loadOrCreateSecret, openBackendState } from "@statelab/backend";
import { createHttpApp, createLogger } from "@statelab/http";
import { userRoutes } from "@statelab/users";
import type express from "express";
import { createApp, describeSessionAuth } from "../app.js";
import { loadStatefulConfig } from "../config.js";

const config = loadStatefulConfig({
  ...process.env,
  PORT: process.env.BENCH_AUTH_PORT,
  LOG_REQUESTS: "false",
  MIGRATE_ON_START: "true",
});
const noAuthPort = Number(process.env.BENCH_NOAUTH_PORT);
const fixedUserId = String(process.env.BENCH_USER_ID);
const logger = createLogger({ name: "bench", instanceId: config.instanceId, level: "warn" });
const { users, authenticate, signup, redis, redisConnected } = await openBackendState(config, logger, {
  deviceSecret: loadOrCreateSecret(config.keyDir, "device-secret"),
});
await redisConnected;
const secret = String(process.env.SESSION_SECRET);
const app = createApp({ config, users, authenticate, signup, redis, secret, logger });

const fixedUser: express.RequestHandler = (req, _res, next) => {
  req.auth = { userId: fixedUserId, handle: null, expiresAt: null, source: "session" };
  next();
};
const noAuthRoutes = userRoutes({
  users,
  signup,
  instanceId: config.instanceId,
  authenticated: [fixedUser],
  describeAuth: describeSessionAuth,
});
const noAuthApp = createHttpApp(
  { instanceId: config.instanceId, logger, readiness: {}, logRequests: false },
  noAuthRoutes,
);

app.listen(config.port, "127.0.0.1");
noAuthApp.listen(noAuthPort, "127.0.0.1", () => process.send?.("ready"));
// A clean exit on SIGTERM (so --cpu-prof, BENCH_PROFILE=1, can write its profile), and with the bench that forked it.
process.once("SIGTERM", () => process.exit(0));
process.once("disconnect", () => process.exit(0));
