import { methodNotAllowed, parseBody, UnauthenticatedError } from "@statelab/http";
import { displayNameSchema, publicUser } from "@statelab/users";
import { type Request, Router } from "express";
import { z } from "zod";
import type { RouteContext } from "./context.js";

const patchSchema = z.strictObject({
  displayName: displayNameSchema,
  /** The version the client read; omit it to write over whatever is current. */
  version: z.number().int().positive().optional(),
});

export function meRoutes(ctx: RouteContext): Router {
  const router = Router();
  const currentUser = async (req: Request) => {
    const user = await ctx.users.findById((req.auth as NonNullable<Request["auth"]>).userId);
    // The session outlived its user (deleted in the database): treat as logged out.
    if (!user) throw new UnauthenticatedError("unauthenticated", { message: "the user no longer exists" });
    return user;
  };

  router
    .route("/me")
    .get(...ctx.authenticated, async (req, res) => {
      const user = await currentUser(req);
      const auth = req.auth as NonNullable<Request["auth"]>;
      res.json({
        user: publicUser(user),
        instance: ctx.config.instanceId,
        auth: { kind: "session", source: auth.source, expiresAt: auth.expiresAt?.toISOString() ?? null },
      });
    })
    .patch(...ctx.authenticated, async (req, res) => {
      const { displayName, version } = parseBody(patchSchema, req);
      const expected = version ?? (await currentUser(req)).version;
      const user = await ctx.users.update((req.auth as NonNullable<Request["auth"]>).userId, { displayName }, expected);
      res.json({ user: publicUser(user) });
    })
    .all(methodNotAllowed(["GET", "PATCH"]));

  return router;
}
