export { type InfraConfig, infraDefaults, loadInfraConfig, projectRoot } from "./config.js";
export { InfraError } from "./errors.js";
export { type Infra, infraStatus, type ServiceStatus, type StartOptions, startInfra, stopInfra } from "./infra.js";
export { pingRedis } from "./redis.js";
export type { Service } from "./service.js";
