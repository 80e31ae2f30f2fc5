import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  ConflictError,
  createLogger,
  errorHandler,
  healthRoutes,
  instanceIdHeader,
  jsonBody,
  NotFoundError,
  notFound,
  rejectUnusedMethods,
  ValidationError,
} from "@statelab/http";
import express, { type ErrorRequestHandler, type RequestHandler, Router } from "express";
import type { SigningKey } from "../jwt.js";
import type { Kind } from "../types.js";
import type { Defence } from "./defences.js";
import { authOf, type RefAuthKind } from "./reference-auth.js";
import { bearerAuth } from "./reference-bearer.js";
import { cookieAuth } from "./reference-cookie.js";
import { createRefUsers, publicUser, type RefUsers } from "./reference-users.js";

const INSTANCE = "reference-1";

/** signup, /me, the device list and /chat/partners: the same for both kinds. */
function commonRoutes(users: RefUsers, auth: RefAuthKind): Router {
  const routes = Router();
  const partners = new Map<string, string[]>();
  const me = (userId: string) => {
    const user = users.byId(userId);
    if (!user) throw new NotFoundError();
    return user;
  };
  routes.post("/auth/signup", async (req, res) => {
    res.status(201).json({ user: publicUser(await users.signup(req.body)) });
  });
  routes.get("/me", ...auth.authenticated, (req, res) => {
    const { userId, expiresAt } = authOf(req);
    res.json({ user: publicUser(me(userId)), instance: INSTANCE, auth: { kind: auth.kind, expiresAt } });
  });
  routes.patch("/me", ...auth.authenticated, (req, res) => {
    const { displayName, version, ...rest } = (req.body ?? {}) as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || typeof displayName !== "string" || !displayName.trim())
      throw new ValidationError("displayName: a non-empty string");
    const user = me(authOf(req).userId);
    if (version !== undefined && version !== user.version) throw new ConflictError("version_conflict");
    Object.assign(user, { displayName: displayName.trim(), version: user.version + 1 });
    res.json({ user: publicUser(user) });
  });
  routes.get("/auth/sessions", ...auth.authenticated, (req, res) => {
    const { userId, handle } = authOf(req);
    res.json({ sessions: auth.list(userId).map((s) => ({ ...s, current: s.handle === handle })) });
  });
  routes.delete("/auth/sessions/:handle", ...auth.authenticated, (req, res) => {
    if (!auth.end(authOf(req).userId, String(req.params.handle))) throw new NotFoundError();
    res.status(204).end();
  });
  routes
    .route("/chat/partners")
    .get(...auth.authenticated, (req, res) => {
      res.json({ partners: partners.get(authOf(req).userId) ?? [], instance: INSTANCE });
    })
    .post(...auth.authenticated, (req, res) => {
      const list = partners.get(authOf(req).userId) ?? [];
      list.push(String(req.body?.partner));
      partners.set(authOf(req).userId, list);
      res.json({ partners: list, instance: INSTANCE });
    });
  return routes;
}

/** The fixture with `jsonErrors` off: a parse error reaches the client as a 500 with the stack. */
const leakParseErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if ((error as { type?: string }).type !== "entity.parse.failed") return next(error);
  res
    .status(500)
    .type("text/plain")
    .send((error as Error).stack);
};

export interface ReferenceOptions {
  /** The one defence to leave out (a fixture). */
  without?: Defence;
  /** Serve login at another path and read the username from another field, as a foreign server might. */
  rename?: { login: string; usernameField: string };
}

/** Turns the renamed API back into the reference's own, so a mapping file is what makes checks pass. */
function renamed(rename: NonNullable<ReferenceOptions["rename"]>): RequestHandler {
  return function renamed(req, _res, next) {
    if (req.path === "/auth/login") return next(new NotFoundError());
    if (req.path === rename.login) req.url = "/auth/login";
    const body = req.body as Record<string, unknown> | undefined;
    if (body && typeof body === "object" && rename.usernameField in body) {
      const { [rename.usernameField]: username, ...rest } = body;
      req.body = { username, ...rest };
    }
    next();
  };
}

export interface ReferenceServer {
  url: string;
  /** Its private signing key (bearer), for the checks that need --signing-key. */
  signingKeys: SigningKey[];
  close(): Promise<void>;
}

/**
 * A small, correct auth server of `kind` serving statelab's API from memory —
 * minus the defence `without`, for the checker's own tests. Listens on a
 * kernel-chosen loopback port.
 */
export async function startReferenceServer(kind: Kind, options: ReferenceOptions = {}): Promise<ReferenceServer> {
  const { without, rename } = options;
  const users = createRefUsers(without);
  const auth = kind === "cookie" ? cookieAuth(users, without) : bearerAuth(users, without);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(instanceIdHeader(INSTANCE));
  app.use(rejectUnusedMethods);
  app.use(jsonBody({ limitBytes: 16 * 1024 }));
  if (without === "jsonErrors") app.use(leakParseErrors);
  if (rename) app.use(renamed(rename));
  app.use(healthRoutes({}));
  app.use(commonRoutes(users, auth));
  app.use(auth.routes);
  app.use(notFound);
  app.use(errorHandler(createLogger({ name: "reference", instanceId: INSTANCE, level: "silent" })));
  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    signingKeys: auth.signingKeys,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
