export { type Accounts, createAccounts, type Signup } from "./accounts.js";
export { type Authenticate, createAuthenticator, type LoginInput } from "./authenticate.js";
export { type BackendConfig, backendConfig, backendEnvShape } from "./backend-config.js";
export { type BackendState, openBackendState } from "./backend-state.js";
export {
  type ClientLogger,
  createPgPool,
  createRedisClient,
  isConnectionError,
  type PgPoolOptions,
  queryOr503,
  type RedisClient,
  type RedisClientOptions,
  RedisTimeoutError,
} from "./clients.js";
export {
  type Credentials,
  credentialsSchema,
  displayNameSchema,
  loginSchema,
  PASSWORD_MAX,
  PASSWORD_MIN,
  passwordSchema,
  USERNAME_MAX,
  USERNAME_MIN,
  usernameKey,
  usernameSchema,
} from "./credentials-schema.js";
export {
  createDeviceCookies,
  DEVICE_COOKIE,
  type DeviceCookies,
  presentedDevice,
  sendDeviceCookie,
} from "./device-cookie.js";
export { createHashQueue, type HashQueue, type HashQueueOptions, type HashTicket } from "./hash-queue.js";
export { leaseRoutes } from "./lease-routes.js";
export { createLoginStats, type LoginStats } from "./login-stats.js";
export {
  createLoginThrottle,
  DEFAULT_LOGIN_LIMITS,
  type LoginLimits,
  type LoginThrottle,
  type LoginThrottleOptions,
} from "./login-throttle.js";
export { MIGRATIONS, type MigrateOptions, type Migration, migrate } from "./migrations.js";
export {
  createPasswordHasher,
  type HashParams,
  OWASP_PARAMS,
  type PasswordHasher,
  TEST_ONLY_PARAMS,
} from "./passwords.js";
export { type UserRoutesOptions, userRoutes } from "./routes.js";
export { loadOrCreateSecret } from "./secret.js";
export { createFileOnce } from "./shared-file.js";
export { createSignupLimit, DEFAULT_SIGNUP_LIMITS, type SignupLimits } from "./signup-limit.js";
export {
  createPgUserStore,
  type HashGate,
  publicUser,
  type User,
  type UserPatch,
  type UserStore,
} from "./user-store.js";
