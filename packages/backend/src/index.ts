export { type Accounts, createAccounts } from "./accounts.js";
export {
  type ClientLogger,
  createPgPool,
  createRedisClient,
  type PgPoolOptions,
  type RedisClient,
  type RedisClientOptions,
  RedisTimeoutError,
} from "./clients.js";
export { type BackendConfig, backendConfig, backendEnvShape } from "./config.js";
export { leaseRoutes } from "./lease-routes.js";
export { createLoginStats, type LoginStats } from "./login-stats.js";
export { assertMigrated, type MigrationSet, migrate, PendingMigrationsError } from "./migrate.js";
export { runMigrations } from "./migrate-cli.js";
export { backendMigrations, loginStatsMigrations } from "./migrations.js";
export { loadOrCreateSecret } from "./secret.js";
export { createFileOnce } from "./shared-file.js";
export { type BackendState, openBackendState } from "./state.js";
