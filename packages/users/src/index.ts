export { type Authenticate, createAuthenticator, type LoginInput, type LoginRecorder } from "./authenticate.js";
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
export {
  createLoginThrottle,
  DEFAULT_LOGIN_LIMITS,
  type LoginLimits,
  type LoginThrottle,
  type LoginThrottleOptions,
} from "./login-throttle.js";
export { usersMigrations } from "./migrations.js";
export {
  createPasswordHasher,
  type HashParams,
  OWASP_PARAMS,
  type PasswordHasher,
  TEST_ONLY_PARAMS,
} from "./passwords.js";
export { type Signup, type UserRoutesOptions, userRoutes } from "./routes.js";
export { createSignupLimit, DEFAULT_SIGNUP_LIMITS, type SignupLimits } from "./signup-limit.js";
export {
  createPgUserStore,
  type HashGate,
  publicUser,
  type User,
  type UserPatch,
  type UserStore,
} from "./user-store.js";
