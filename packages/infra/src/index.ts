export { type InfraConfig, infraDefaults, loadInfraConfig, projectRoot } from "./config.js";
export { ensurePassword, passwordFile, REDIS_USER, redactUrl } from "./credentials.js";
export { InfraError } from "./errors.js";
export { type Infra, infraStatus, type ServiceStatus, type StartOptions, startInfra, stopInfra } from "./infra.js";
export { type PostgresOptions, startPostgres } from "./postgres.js";
export { pingRedis, startRedis } from "./redis.js";
export type { Service } from "./service.js";
export { freePort, isPortOpen } from "./system.js";
