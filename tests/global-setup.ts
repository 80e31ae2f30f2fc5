import path from "node:path";
import { migrate } from "@statelab/backend";
import { loadInfraConfig, projectRoot, startInfra } from "@statelab/infra";
import { statelessMigrations } from "@statelab/stateless";
import type { TestProject } from "vitest/node";

/**
 * Starts real Postgres and Redis once for the whole run, on their own ports and
 * state dir so a running lab is never touched. DATABASE_URL / REDIS_URL, when
 * set, point the suite at existing servers instead. Test files share them and
 * keep apart by unique user names and Redis key prefixes. The database is migrated
 * here, once (users, lease, login stats, refresh tokens); app processes the tests
 * start find it migrated.
 */
export default async function setup(project: TestProject) {
  const config = loadInfraConfig({
    ...process.env,
    STATELAB_HOME: process.env.STATELAB_TEST_HOME ?? path.join(projectRoot, ".statelab", "test"),
    PG_PORT: process.env.TEST_PG_PORT ?? "54339",
    REDIS_PORT: process.env.TEST_REDIS_PORT ?? "63809",
    PG_DATABASE: "statelab_test",
  });
  const infra = await startInfra(config, { fast: true, log: (line) => console.log(`[infra] ${line}`) });
  // The suite is its own deployment: one migration before any test, as `npm run migrate` would.
  await migrate(infra.databaseUrl, statelessMigrations);
  project.provide("databaseUrl", infra.databaseUrl);
  project.provide("redisUrl", infra.redisUrl);
  return () => infra.stop();
}
