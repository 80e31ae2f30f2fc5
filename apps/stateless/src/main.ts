import { loadOrCreateSecret, openBackendState } from "@statelab/backend";
import { closeOnSignals, createLogger, createMetrics, runMain, serve } from "@statelab/http";
import { registerLeaseMetrics } from "@statelab/lease";
import { createApp } from "./app.js";
import { loadStatelessConfig, type StatelessConfig } from "./config.js";
import { statelessMigrations } from "./migrations.js";
import { loadKeySet } from "./tokens/keys.js";

async function main(config: StatelessConfig): Promise<void> {
  const logger = createLogger({ name: "stateless", instanceId: config.instanceId, level: config.logLevel });
  const keys = loadKeySet(config.keyDir, config.jwtAlg);
  const state = await openBackendState(config, logger, {
    migrations: statelessMigrations,
    deviceSecret: loadOrCreateSecret(config.keyDir, "device-secret"),
  });
  // With REVOCATION=none nothing per request needs Redis, so Redis does not decide readiness.
  const { redis: _redis, ...withoutRedis } = state.readiness;
  const readiness = config.revocation === "denylist" ? state.readiness : withoutRedis;
  const metrics = createMetrics({ instanceId: config.instanceId });
  registerLeaseMetrics(metrics.registry, state.leases, state.loginStatsJob ? [state.loginStatsJob] : []);
  const app = createApp({
    config,
    ...state,
    readiness,
    keys,
    logger,
    metrics,
  });
  const running = await serve(app, {
    port: config.port,
    host: config.host,
    logger,
    onClose: async () => {
      keys.close();
      await state.close();
    },
  });
  logger.info(
    { url: running.url, alg: keys.signer.alg, kid: keys.signer.kid, revocation: config.revocation },
    "stateless backend ready",
  );
  closeOnSignals(running, logger);
}

runMain("stateless", () => loadStatelessConfig(), main);
