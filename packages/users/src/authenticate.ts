import { UnauthenticatedError } from "@statelab/http";
import type { LoginThrottle } from "./login-throttle.js";
import type { User, UserStore } from "./user-store.js";

/** Counts login attempts (the backend kit's login statistics); best effort, never fails a login. */
export interface LoginRecorder {
  record(isOk: boolean): void;
}

export type Authenticate = (input: { username: string; password: string; ip: string }) => Promise<User>;

/**
 * The login check both backends share: throttle, verify, count. Unknown user
 * and wrong password throw the same error with the same message (A3).
 */
export function createAuthenticator(deps: {
  users: UserStore;
  throttle: LoginThrottle;
  stats?: LoginRecorder;
}): Authenticate {
  return async function authenticate({ username, password, ip }) {
    await deps.throttle.check(username, ip);
    const user = await deps.users.verifyCredentials(username, password);
    deps.stats?.record(user !== null);
    if (!user) {
      await deps.throttle.recordFailure(username, ip);
      throw new UnauthenticatedError("invalid_credentials", { message: "invalid username or password" });
    }
    await deps.throttle.recordSuccess(username, ip);
    return user;
  };
}
