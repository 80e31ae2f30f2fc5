import { ConfigError, closeOnSignals, createLogger, createMetrics, serve } from "@statelab/http";
import {
  createAuthenticator,
  createLoginThrottle,
  createPasswordHasher,
  createPgPool,
  createPgUserStore,
  createRedisClient,
  migrate,
} from "@statelab/users";
import { createApp } from "./app.js";
import { loadStatelessConfig, type StatelessConfig } from "./config.js";
import { loadKeySet } from "./tokens/keys.js";
import { STATELESS_MIGRATIONS } from "./tokens/refresh-store.js";

async function main(config: StatelessConfig): Promise<void> {
  const logger = createLogger({ name: "stateless", instanceId: config.instanceId, level: config.logLevel });
  const keys = loadKeySet(config.keyDir, config.jwtAlg);
  const pool = createPgPool(config.databaseUrl, logger);
  await migrate(pool);
  await migrate(pool, { namespace: "stateless", migrations: STATELESS_MIGRATIONS });
  const redis = createRedisClient(config.redisUrl, logger);
  // Not awaited: with Redis down the server still starts; REVOCATION=none keeps serving /me.
  redis.connect().catch((error: unknown) => logger.warn({ err: error }, "redis: first connect failed; retrying"));

  const users = createPgUserStore({ pool, hasher: await createPasswordHasher() });
  const throttle = createLoginThrottle({
    redis,
    keyPrefix: config.redisPrefix,
    maxFailuresPerUser: config.loginMaxFailures,
  });
  const app = createApp({
    config,
    users,
    authenticate: createAuthenticator({ users, throttle }),
    pool,
    redis,
    keys,
    logger,
    metrics: createMetrics({ instanceId: config.instanceId }),
    readiness: {
      postgres: () => pool.query("SELECT 1"),
      // With REVOCATION=none nothing per request needs Redis, so it does not decide readiness.
      ...(config.revocation === "denylist" ? { redis: () => redis.ping() } : {}),
    },
  });
  const running = await serve(app, {
    port: config.port,
    host: config.host,
    logger,
    onClose: async () => {
      await pool.end();
      redis.destroy();
    },
  });
  logger.info(
    { url: running.url, alg: keys.signer.alg, kid: keys.signer.kid, revocation: config.revocation },
    "stateless backend ready",
  );
  closeOnSignals(running, logger);
}

let config: StatelessConfig;
try {
  config = loadStatelessConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? `stateless: ${error.message}` : error);
  process.exit(1);
}
main(config).catch((error: unknown) => {
  console.error(`stateless: failed to start: ${(error as Error).message}`);
  process.exit(1);
});
