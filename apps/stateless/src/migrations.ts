import { fileURLToPath } from "node:url";
import { backendMigrations, type MigrationSet } from "@statelab/backend";

/** The refresh tokens and token epochs (apps/stateless/migrations). */
export const refreshMigrations: MigrationSet = {
  name: "stateless",
  dir: fileURLToPath(new URL("../migrations", import.meta.url)),
  legacy: { namespace: "stateless", ids: { 1: "0001_refresh-tokens" } },
};

/** Everything the stateless backend needs in Postgres, in order (its tables reference users). */
export const statelessMigrations: readonly MigrationSet[] = [...backendMigrations, refreshMigrations];
