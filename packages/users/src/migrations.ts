import { fileURLToPath } from "node:url";

/** The user store's schema (packages/users/migrations), for @statelab/backend's migrate(). */
export const usersMigrations = {
  name: "users",
  dir: fileURLToPath(new URL("../migrations", import.meta.url)),
  legacy: { namespace: "users", ids: { 1: "0001_users" } },
} as const;
