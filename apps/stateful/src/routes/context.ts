import type { Authenticate, UserStore } from "@statelab/users";
import type { RequestHandler } from "express";
import type { SessionTimeouts } from "../auth.js";
import type { StatefulConfig } from "../config.js";
import type { ConnectionBinding } from "../connection-binding.js";
import type { SessionCache } from "../session-cache.js";
import type { SessionIndex } from "../session-index.js";

/** What every route module of the stateful server receives. */
export interface RouteContext {
  config: StatefulConfig;
  users: UserStore;
  authenticate: Authenticate;
  index: SessionIndex;
  cache: SessionCache | null;
  binding: ConnectionBinding | null;
  timeouts: SessionTimeouts;
  /** The chain in front of authenticated routes: cross-site check, auth, CSRF token. */
  authenticated: RequestHandler[];
  loadSession: RequestHandler;
  rejectCrossSite: RequestHandler;
}
