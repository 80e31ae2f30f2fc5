import { env, loadConfig, runMain } from "@statelab/http";
import { type MigrationSet, migrate } from "./migrate.js";

/**
 * `npm run migrate`: applies an app's pending migrations once and exits, so a deployment
 * runs its instances under a role without DDL rights. Reads DATABASE_URL (the infra's
 * default when unset); exits 1 with the reason when Postgres refuses.
 */
export function runMigrations(app: string, sets: readonly MigrationSet[]): void {
  const shape = {
    DATABASE_URL: env.url(["postgres:", "postgresql:"]).default("postgres://postgres@127.0.0.1:54329/statelab"),
  };
  runMain(
    `${app} migrate`,
    () => loadConfig(shape, process.env),
    async (config) => {
      const applied = await migrate(config.DATABASE_URL, sets, (line) => console.log(`${app}: ${line}`));
      console.log(
        `${app}: ${applied.length === 0 ? "the database is up to date" : `applied ${applied.length} migration${applied.length === 1 ? "" : "s"}`}`,
      );
    },
  );
}
