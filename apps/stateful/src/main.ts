import { loadOrCreateSecret, openBackendState } from "@statelab/backend";
import { closeOnSignals, createLogger, createMetrics, runMain, serve } from "@statelab/http";
import { registerLeaseMetrics } from "@statelab/lease";
import { connectReplica, createQuorumClient } from "@statelab/quorum";
import { createApp } from "./app.js";
import { loadStatefulConfig, type StatefulConfig } from "./config.js";

async function main(config: StatefulConfig): Promise<void> {
  const logger = createLogger({ name: "stateful", instanceId: config.instanceId, level: config.logLevel });
  const secret = config.sessionSecret ?? loadOrCreateSecret(config.keyDir);
  const state = await openBackendState(config, logger, {
    deviceSecret: loadOrCreateSecret(config.keyDir, "device-secret"),
  });
  const metrics = createMetrics({ instanceId: config.instanceId });
  registerLeaseMetrics(metrics.registry, state.leases, state.loginStatsJob ? [state.loginStatsJob] : []);
  const replicas = (config.quorum?.urls ?? []).map((url, i) => connectReplica(`replica-${i + 1}`, url));
  const quorum = config.quorum
    ? createQuorumClient({ replicas, r: config.quorum.r, w: config.quorum.w, timeoutMs: config.quorum.timeoutMs })
    : undefined;
  const readiness = quorum
    ? { ...state.readiness, quorum: () => quorum.read(`${config.redisPrefix}readyz`) }
    : state.readiness;
  const app = createApp({
    config,
    ...state,
    ...(quorum ? { quorum } : {}),
    readiness,
    secret,
    logger,
    metrics,
  });
  const running = await serve(app, {
    port: config.port,
    host: config.host,
    logger,
    onClose: async () => {
      await state.close();
      for (const replica of replicas) replica.close();
    },
  });
  logger.info(
    {
      url: running.url,
      store: config.sessionStore,
      ...(quorum ? { quorum: quorum.quorum } : {}),
      state: config.sessionState,
      binding: config.authBinding,
    },
    "stateful backend ready",
  );
  closeOnSignals(running, logger);
}

runMain("stateful", () => loadStatefulConfig(), main);
