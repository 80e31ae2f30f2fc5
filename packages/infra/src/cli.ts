#!/usr/bin/env node
import { type InfraConfig, loadInfraConfig } from "./config.js";
/**
 * npm run infra -- up | down | status | env | run
 *   up      start Postgres and Redis in the background (reusing running ones) and print their URLs
 *   down    stop the servers statelab started from this checkout
 *   status  show what runs
 *   env     DATABASE_URL=… and REDIS_URL=… of the running servers, for `export $(npm run -s infra -- env)`
 *   run     up, then wait; Ctrl-C stops what this run started (the stores alone, without the lab)
 */
import { InfraError } from "./errors.js";
import { type Infra, infraStatus, redactUrl, startInfra, stopInfra } from "./index.js";

const log = (line: string) => console.log(line);

function printUrls(infra: Infra): void {
  console.log("");
  console.log(`DATABASE_URL=${infra.databaseUrl}`);
  console.log(`REDIS_URL=${infra.redisUrl}`);
}

/** Foreground: start, wait for a signal, stop only what this run started. */
async function runForeground(config: InfraConfig): Promise<void> {
  const interrupt = new AbortController();
  let starting: Promise<Infra> | undefined;
  let stopping = 0;
  const shutdown = async (signal: NodeJS.Signals) => {
    // npm and the terminal may both deliver one Ctrl-C: only a later one forces.
    if (stopping && Date.now() - stopping < 1000) return;
    if (stopping) {
      console.error(`\n${signal} again: exiting now; \`npm run infra -- down\` stops anything left running`);
      process.exit(1);
    }
    stopping = Date.now();
    console.log(`\n${signal}: stopping the servers this run started…`);
    // A start still under way stops what it launched (a postmaster still starting too), then rejects.
    interrupt.abort();
    const infra = await starting?.catch(() => undefined);
    await infra?.stop().catch((e: Error) => console.error(e.message));
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  process.on("SIGHUP", shutdown);
  starting = startInfra(config, { log, signal: interrupt.signal });
  const infra = await starting.catch((error: unknown) => {
    // Interrupted: shutdown() finishes and exits.
    if (interrupt.signal.aborted) return undefined;
    throw error;
  });
  if (!infra || stopping) return;
  printUrls(infra);
  console.log("\nRunning. Press Ctrl-C to stop.");
  // Keep the event loop alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}

async function main(command: string | undefined): Promise<void> {
  const config = loadInfraConfig();
  switch (command) {
    case "up":
      printUrls(await startInfra(config, { log }));
      return;
    case "down": {
      const stopped = await stopInfra(config, log);
      if (stopped === 0) log("nothing to stop: no server started by statelab is running from this checkout");
      return;
    }
    case "status":
      for (const s of await infraStatus(config)) {
        log(
          `${s.name.padEnd(9)} ${s.state.padEnd(9)} ${s.pid === null ? "" : `pid ${s.pid}  `}${s.url ? redactUrl(s.url) : ""}`,
        );
      }
      return;
    case "env": {
      const urls = await infraStatus(config);
      const down = urls.filter((s) => s.url === null).map((s) => s.name);
      if (down.length > 0) {
        console.error(`statelab infra: ${down.join(" and ")} not running (npm run infra -- up)`);
        process.exitCode = 1;
        return;
      }
      const [postgres, redis] = urls;
      console.log(`DATABASE_URL=${postgres?.url}`);
      console.log(`REDIS_URL=${redis?.url}`);
      return;
    }
    case "run":
      return runForeground(config);
    default:
      console.error("usage: npm run infra -- up | down | status | env | run");
      process.exitCode = 2;
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof InfraError ? `statelab infra: ${error.message}` : error);
  process.exit(1);
});
