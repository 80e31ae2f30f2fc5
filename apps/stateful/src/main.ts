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
import { loadStatefulConfig, type StatefulConfig } from "./config.js";
import { loadOrCreateSecret } from "./secret.js";

async function main(config: StatefulConfig): Promise<void> {
  const logger = createLogger({ name: "stateful", instanceId: config.instanceId, level: config.logLevel });
  const secret = config.sessionSecret ?? loadOrCreateSecret(config.keyDir);
  const pool = createPgPool(config.databaseUrl, logger);
  await migrate(pool);
  const redis = createRedisClient(config.redisUrl, logger);
  // Not awaited: with Redis down the server still starts, answers 503 and reports unready until it returns.
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
    redis,
    secret,
    logger,
    metrics: createMetrics({ instanceId: config.instanceId }),
    readiness: { postgres: () => pool.query("SELECT 1"), redis: () => redis.ping() },
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
    { url: running.url, store: config.sessionStore, state: config.sessionState, binding: config.authBinding },
    "stateful backend ready",
  );
  closeOnSignals(running, logger);
}

let config: StatefulConfig;
try {
  config = loadStatefulConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? `stateful: ${error.message}` : error);
  process.exit(1);
}
main(config).catch((error: unknown) => {
  console.error(`stateful: failed to start: ${(error as Error).message}`);
  process.exit(1);
});
