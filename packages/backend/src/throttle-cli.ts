/**
 * npm run throttle -- status <username> | clear <username>
 * The admin's side of the per-account lockout: see it, and end it (with the account's
 * failure counts from every address). Reads REDIS_URL and REDIS_PREFIX like the backends;
 * for the lab's Redis, `export $(npm run -s infra -- env)` first.
 */
import { ConfigError, env, loadConfig } from "@statelab/http";
import { createLoginThrottle } from "@statelab/users";
import { createRedisClient } from "./clients.js";

const usage = "usage: npm run throttle -- status <username> | clear <username>";

async function main(): Promise<number> {
  const [command, username, ...rest] = process.argv.slice(2);
  if ((command !== "status" && command !== "clear") || !username || rest.length > 0) {
    console.error(usage);
    return 2;
  }
  const config = loadConfig({
    REDIS_URL: env.url(["redis:", "rediss:"]).default("redis://127.0.0.1:63799"),
    REDIS_PREFIX: env.string("statelab:"),
  });
  const redis = createRedisClient(config.REDIS_URL, { warn: () => {} }, { commandTimeoutMs: 5000 });
  try {
    await redis.connect();
    const throttle = createLoginThrottle({ redis, keyPrefix: config.REDIS_PREFIX });
    if (command === "clear") {
      const removed = await throttle.clear(username);
      console.log(`${username}: lockout and failure counts cleared (${removed} keys)`);
    } else {
      const { lockedForSeconds, strikes, failures } = await throttle.status(username);
      console.log(
        lockedForSeconds > 0
          ? `${username}: locked for ${lockedForSeconds} s more (lockout ${strikes} in the last day)`
          : `${username}: not locked; ${failures} failures in this window, ${strikes} lockouts in the last day`,
      );
    }
    return 0;
  } finally {
    redis.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    const hint = /NOAUTH|WRONGPASS|ECONNREFUSED/.test(message)
      ? " (for the lab's Redis: export $(npm run -s infra -- env))"
      : "";
    console.error(`throttle: ${message}${hint}`);
    process.exit(1);
  },
);
