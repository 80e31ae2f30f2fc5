import { closeOnSignals, createLogger, createMetrics, runMain, serve } from "@statelab/http";
import { registerLeaseMetrics } from "@statelab/lease";
import { openBackendState } from "@statelab/users";
import { createApp } from "./app.js";
import { loadStatefulConfig, type StatefulConfig } from "./config.js";
import { loadOrCreateSecret } from "./secret.js";

async function main(config: StatefulConfig): Promise<void> {
  const logger = createLogger({ name: "stateful", instanceId: config.instanceId, level: config.logLevel });
  const secret = config.sessionSecret ?? loadOrCreateSecret(config.keyDir);
  const state = await openBackendState(config, logger);
  const metrics = createMetrics({ instanceId: config.instanceId });
  registerLeaseMetrics(metrics.registry, state.leases, state.loginStatsJob ? [state.loginStatsJob] : []);
  const app = createApp({
    config,
    ...state,
    secret,
    logger,
    metrics,
  });
  const running = await serve(app, { port: config.port, host: config.host, logger, onClose: state.close });
  logger.info(
    { url: running.url, store: config.sessionStore, state: config.sessionState, binding: config.authBinding },
    "stateful backend ready",
  );
  closeOnSignals(running, logger);
}

runMain("stateful", () => loadStatefulConfig(), main);
