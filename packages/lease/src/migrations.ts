import { fileURLToPath } from "node:url";

/** The fence table (packages/lease/migrations), for @statelab/backend's migrate(). */
export const leaseMigrations = {
  name: "lease",
  dir: fileURLToPath(new URL("../migrations", import.meta.url)),
  legacy: { namespace: "lease", ids: { 1: "0001_fences" } },
} as const;
