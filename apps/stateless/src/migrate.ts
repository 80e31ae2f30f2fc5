import { runMigrations } from "@statelab/backend";
import { statelessMigrations } from "./migrations.js";

runMigrations("stateless", statelessMigrations);
