import { methodNotAllowed, parseBody, UnauthenticatedError } from "@statelab/http";
import { type Request, type RequestHandler, Router } from "express";
import { z } from "zod";
import { credentialsSchema, displayNameSchema } from "./credentials-schema.js";
import { publicUser, type User, type UserStore } from "./user-store.js";

/** Creates an account for a client address: the signup limit first, then the hash through the queue (the backend kit's createAccounts). */
export type Signup = (input: { username: string; password: string }, ip: string) => Promise<User>;

export interface UserRoutesOptions {
  users: UserStore;
  /** Signup through its limits and the hash queue (createAccounts). */
  signup: Signup;
  instanceId: string;
  /** In front of every authenticated route (authentication, CSRF, …). */
  authenticated: RequestHandler[];
  /** In front of signup (e.g. the stateful server's cross-site check). */
  signupGuards?: RequestHandler[];
  /** Who the request is authenticated as, and how, as GET /me shows it. */
  describeAuth: (req: Request) => { userId: string; auth: Record<string, unknown> };
}

const patchSchema = z.strictObject({
  displayName: displayNameSchema,
  /** The version the client read; omit it to write over whatever is current. */
  version: z.number().int().positive().optional(),
});

const MAX_USERS = 10_000;
const MAX_PARTNERS = 50;

/**
 * The routes both backends serve the same way: signup, GET/PATCH /me and
 * /chat/partners. Only how a request is authenticated differs, and that comes in.
 */
export function userRoutes(options: UserRoutesOptions): Router {
  const { users, authenticated, describeAuth } = options;
  const router = Router();
  const currentUser = async (req: Request) => {
    const user = await users.findById(describeAuth(req).userId);
    // The credential outlived its user (deleted in the database): treat as logged out.
    if (!user) throw new UnauthenticatedError("unauthenticated", { message: "the user no longer exists" });
    return user;
  };

  router
    .route("/auth/signup")
    .post(...(options.signupGuards ?? []), async (req, res) => {
      const user = await options.signup(parseBody(credentialsSchema, req), req.ip ?? "unknown");
      res.status(201).json({ user: publicUser(user) });
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/me")
    .get(...authenticated, async (req, res) => {
      const user = await currentUser(req);
      res.json({ user: publicUser(user), instance: options.instanceId, auth: describeAuth(req).auth });
    })
    .patch(...authenticated, async (req, res) => {
      const { displayName, version } = parseBody(patchSchema, req);
      const expected = version ?? (await currentUser(req)).version;
      const user = await users.update(describeAuth(req).userId, { displayName }, expected);
      res.json({ user: publicUser(user) });
    })
    .all(methodNotAllowed(["GET", "PATCH"]));

  // The user's open chats in THIS process's memory (the seed's example #2): the state that
  // makes any server stateful. Another instance does not have it; a restart loses it.
  const partnersByUser = new Map<string, string[]>();
  const reply = (partners: string[]) => ({ partners, instance: options.instanceId });
  router
    .route("/chat/partners")
    .get(...authenticated, (req, res) => {
      res.json(reply(partnersByUser.get(describeAuth(req).userId) ?? []));
    })
    .post(...authenticated, (req, res) => {
      const { partner } = parseBody(z.strictObject({ partner: z.string().trim().min(1).max(64) }), req);
      const userId = describeAuth(req).userId;
      const partners = [...(partnersByUser.get(userId) ?? []).filter((p) => p !== partner), partner].slice(
        -MAX_PARTNERS,
      );
      // Re-inserting keeps the map in least-recently-used order; past MAX_USERS the oldest goes.
      partnersByUser.delete(userId);
      partnersByUser.set(userId, partners);
      if (partnersByUser.size > MAX_USERS) partnersByUser.delete(partnersByUser.keys().next().value as string);
      res.json(reply(partners));
    })
    .all(methodNotAllowed(["GET", "POST"]));

  return router;
}
