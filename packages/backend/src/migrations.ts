import { fileURLToPath } from "node:url";
import { leaseMigrations } from "@statelab/lease";
import { usersMigrations } from "@statelab/users";
import type { MigrationSet } from "./migrate.js";

/** The login statistics the lease holder rolls up (packages/backend/migrations). */
export const loginStatsMigrations: MigrationSet = {
  name: "login-stats",
  dir: fileURLToPath(new URL("../migrations", import.meta.url)),
  // The runner before node-pg-migrate kept it as the user store's second migration.
  legacy: { namespace: "users", ids: { 2: "0001_login-stats" } },
};

/** What every backend needs in Postgres: the users, the lease fence, the login statistics. */
export const backendMigrations: readonly MigrationSet[] = [usersMigrations, leaseMigrations, loginStatsMigrations];
