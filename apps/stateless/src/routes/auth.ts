import { methodNotAllowed, NotFoundError, parseBody } from "@statelab/http";
import {
  type Authenticate,
  loginSchema,
  presentedDevice,
  publicUser,
  sendDeviceCookie,
  type User,
} from "@statelab/users";
import { type Request, type RequestHandler, Router } from "express";
import { z } from "zod";
import type { AccessTokens } from "../tokens/access-token.js";
import { RefreshReusedError, type RefreshStore } from "../tokens/refresh-store.js";
import type { Revocation } from "../tokens/revocation.js";

export interface TokenRouteDeps {
  authenticate: Authenticate;
  findUser: (id: string) => Promise<User | null>;
  tokens: AccessTokens;
  refresh: RefreshStore;
  revocation: Revocation;
  accessTtlSeconds: number;
  authenticated: RequestHandler[];
}

const refreshSchema = z.strictObject({ refreshToken: z.string().min(1).max(512) });
const claimsOf = (req: Request) => req.claims as NonNullable<Request["claims"]>;

/** Login, refresh rotation, logout, logout-all, and the device list: the token lifecycle. */
export function tokenRoutes(deps: TokenRouteDeps): Router {
  const router = Router();

  async function issue(user: User, familyId: string, refreshToken: string) {
    const epoch = await deps.revocation.currentEpoch(user.id);
    const { token } = await deps.tokens.sign({ sub: user.id, ep: epoch, fid: familyId });
    return {
      accessToken: token,
      refreshToken,
      expiresIn: deps.accessTtlSeconds,
      tokenType: "Bearer",
      user: publicUser(user),
    };
  }

  router
    .route("/auth/login")
    .post(async (req, res) => {
      const { username, password } = parseBody(loginSchema, req);
      const { user, device } = await deps.authenticate({
        username,
        password,
        ip: req.ip ?? "unknown",
        device: presentedDevice(req),
      });
      const family = await deps.refresh.start(user.id, req.get("user-agent") ?? "");
      const body = await issue(user, family.familyId, family.refreshToken);
      sendDeviceCookie(req, res, device);
      res.json(body);
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/auth/refresh")
    .post(async (req, res) => {
      const { refreshToken } = parseBody(refreshSchema, req);
      try {
        const rotated = await deps.refresh.rotate(refreshToken);
        const user = await deps.findUser(rotated.userId);
        if (!user) throw new NotFoundError("the user no longer exists");
        res.json(await issue(user, rotated.familyId, rotated.refreshToken));
      } catch (error) {
        // Theft detected: the family's access tokens die too, not just its refresh tokens.
        if (error instanceof RefreshReusedError) await deps.revocation.denyFamily(error.familyId).catch(() => {});
        throw error;
      }
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/auth/logout")
    .post(...deps.authenticated, async (req, res) => {
      const claims = claimsOf(req);
      await deps.refresh.revoke(claims.sub, claims.fid);
      await deps.revocation.denyToken(claims);
      await deps.revocation.denyFamily(claims.fid);
      res.status(204).end();
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/auth/logout-all")
    .post(...deps.authenticated, async (req, res) => {
      const claims = claimsOf(req);
      await deps.refresh.revokeAll(claims.sub);
      await deps.revocation.raiseEpoch(claims.sub);
      res.status(204).end();
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/auth/sessions")
    .get(...deps.authenticated, async (req, res) => {
      const claims = claimsOf(req);
      const families = await deps.refresh.list(claims.sub);
      res.json({
        sessions: families.map((f) => ({
          handle: f.handle,
          createdAt: f.createdAt.toISOString(),
          lastSeenAt: f.lastSeenAt.toISOString(),
          userAgent: f.userAgent,
          current: f.handle === claims.fid,
        })),
      });
    })
    .all(methodNotAllowed(["GET"]));

  router
    .route("/auth/sessions/:handle")
    .delete(...deps.authenticated, async (req, res) => {
      const claims = claimsOf(req);
      const handle = String(req.params.handle);
      if (!(await deps.refresh.revoke(claims.sub, handle))) throw new NotFoundError("no such session");
      // Its access tokens die now with the denylist, or at their expiry with REVOCATION=none.
      await deps.revocation.denyFamily(handle);
      res.status(204).end();
    })
    .all(methodNotAllowed(["DELETE"]));

  return router;
}
