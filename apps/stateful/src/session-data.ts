import "express-session";

declare module "express-session" {
  interface SessionData {
    userId: string;
    /** Opaque id shown in GET /auth/sessions; never the session id (S11). */
    handle: string;
    /** Epoch ms of login: the absolute timeout counts from here. */
    createdAt: number;
    /** Epoch ms the idle TTL was last pushed forward (also "last seen", to within the refresh margin). */
    refreshedAt: number;
    userAgent: string;
    /** Synchronizer token for X-CSRF-Token (S9). */
    csrfToken: string;
  }
}

/** What a request is authenticated as, whichever mechanism said so. */
export interface AuthContext {
  userId: string;
  handle: string | null;
  /** When this session ends if nothing else happens; null for hard state. */
  expiresAt: Date | null;
  source: "session" | "cache" | "connection";
}

declare global {
  namespace Express {
    interface Request {
      auth?: AuthContext;
    }
  }
}
