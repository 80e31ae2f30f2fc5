import { backendMigrations, runMigrations } from "@statelab/backend";

runMigrations("stateful", backendMigrations);
