import { UnauthenticatedError } from "@statelab/http";
import type { DeviceCookies } from "./device-cookie.js";
import type { HashQueue } from "./hash-queue.js";
import type { LoginThrottle } from "./login-throttle.js";
import type { User, UserStore } from "./user-store.js";

/** Counts login attempts (the backend kit's login statistics); best effort, never fails a login. */
export interface LoginRecorder {
  record(isOk: boolean): void;
}

export interface LoginInput {
  username: string;
  password: string;
  /** The client address (express's req.ip: the peer, or what the trusted proxy hop says). */
  ip: string;
  /** The device cookie the client presented, if any. */
  device?: string | undefined;
}

/** The logged-in user, and a fresh device cookie for the client to keep. */
export type Authenticate = (input: LoginInput) => Promise<{ user: User; device: string }>;

/**
 * The login check both backends share: reserve a point (429 when the limits say no),
 * then verify through the hash queue, then give the point back on success. Unknown user
 * and wrong password throw the same error with the same message (A3), and take the same
 * path through the throttle and the queue (A4).
 */
export function createAuthenticator(deps: {
  users: UserStore;
  throttle: LoginThrottle;
  devices: DeviceCookies;
  queue: HashQueue;
  stats?: LoginRecorder;
}): Authenticate {
  return async function authenticate({ username, password, ip, device }) {
    const deviceId = deps.devices.verify(device, username);
    const reservation = await deps.throttle.reserve({ username, ip, deviceId });
    let user: User | null;
    try {
      const ticket =
        deviceId === null ? { lane: "anonymous" as const, client: ip } : { lane: "known" as const, client: deviceId };
      user = await deps.users.verifyCredentials(username, password, (work) => deps.queue.run(ticket, work));
    } catch (error) {
      // No verdict (database down, queue full): not a failed guess, so the point goes back.
      await reservation.cancelled().catch(() => {});
      throw error;
    }
    deps.stats?.record(user !== null);
    if (!user) throw new UnauthenticatedError("invalid_credentials", { message: "invalid username or password" });
    // The login stands even if Redis cannot take the point back now: it only stays counted.
    await reservation.succeeded().catch(() => {});
    return { user, device: deps.devices.issue(username) };
  };
}
