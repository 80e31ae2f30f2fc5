import type { Request, RequestHandler, Router } from "express";
import type { SigningKey } from "../jwt.js";

/** Who a request is, once authenticated: the user, and which of their sessions (handle) it is. */
export interface RefAuth {
  userId: string;
  handle: string;
  expiresAt: string;
}

export interface RefListed {
  handle: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string;
}

/** What differs between the cookie and the bearer reference: login and logout, and reading a credential. */
export interface RefAuthKind {
  kind: "session" | "jwt";
  routes: Router;
  authenticated: RequestHandler[];
  list(userId: string): RefListed[];
  /** Ends one session (device) of the user; false when there is no such handle. */
  end(userId: string, handle: string): boolean;
  /** The private keys tokens are signed with (none for cookies). */
  signingKeys: SigningKey[];
}

export const authOf = (req: Request): RefAuth => (req as Request & { refAuth: RefAuth }).refAuth;
export const setAuth = (req: Request, auth: RefAuth) => {
  (req as Request & { refAuth: RefAuth }).refAuth = auth;
};
