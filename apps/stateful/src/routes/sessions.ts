import { methodNotAllowed, NotFoundError } from "@statelab/http";
import { type Request, Router } from "express";
import { clearSessionCookies } from "../auth.js";
import type { RouteContext } from "./context.js";
import { storeOp } from "./store-op.js";

const HANDLE = /^[A-Za-z0-9_-]{1,64}$/;

/** GET /auth/sessions and DELETE /auth/sessions/:handle: the user's devices, each revocable on its own. */
export function sessionRoutes(ctx: RouteContext): Router {
  const router = Router();
  const authOf = (req: Request) => req.auth as NonNullable<Request["auth"]>;

  router
    .route("/auth/sessions")
    .get(...ctx.authenticated, async (req, res) => {
      const auth = authOf(req);
      const sessions = await storeOp(ctx.index.list(auth.userId));
      res.json({
        sessions: sessions.map((s) => ({
          handle: s.handle,
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: s.lastSeenAt.toISOString(),
          userAgent: s.userAgent,
          current: s.handle === auth.handle,
        })),
      });
    })
    .all(methodNotAllowed(["GET"]));

  router
    .route("/auth/sessions/:handle")
    .delete(...ctx.authenticated, async (req, res) => {
      const auth = authOf(req);
      const handle = String(req.params.handle);
      if (!HANDLE.test(handle) || !(await storeOp(ctx.index.revoke(auth.userId, handle)))) {
        throw new NotFoundError("no such session");
      }
      if (handle === auth.handle) {
        delete (req as { session?: unknown }).session;
        clearSessionCookies(res, ctx.config, ctx.cache);
      }
      res.status(204).end();
    })
    .all(methodNotAllowed(["DELETE"]));

  return router;
}
