export { type Authenticate, createAuthenticator, type LoginRecorder } from "./authenticate.js";
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
export { createLoginThrottle, type LoginThrottle, type LoginThrottleOptions } from "./login-throttle.js";
export { usersMigrations } from "./migrations.js";
export {
  createPasswordHasher,
  type HashParams,
  OWASP_PARAMS,
  type PasswordHasher,
  TEST_ONLY_PARAMS,
} from "./passwords.js";
export { type UserRoutesOptions, userRoutes } from "./routes.js";
export { createPgUserStore, publicUser, type User, type UserPatch, type UserStore } from "./user-store.js";
