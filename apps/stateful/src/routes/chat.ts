import { methodNotAllowed, parseBody } from "@statelab/http";
import { type Request, Router } from "express";
import { z } from "zod";
import type { RouteContext } from "./context.js";

const MAX_USERS = 10_000;
const MAX_PARTNERS = 50;

/**
 * The user's open chats, in THIS process's memory (the seed's example #2):
 * the state that makes any server stateful. Another instance does not have it,
 * and a restart loses it. Bounded: the oldest user is dropped past MAX_USERS.
 */
export function chatRoutes(ctx: RouteContext): Router {
  const partnersByUser = new Map<string, string[]>();
  const router = Router();
  const userOf = (req: Request) => (req.auth as NonNullable<Request["auth"]>).userId;
  const reply = (partners: string[]) => ({ partners, instance: ctx.config.instanceId });

  router
    .route("/chat/partners")
    .get(...ctx.authenticated, (req, res) => {
      res.json(reply(partnersByUser.get(userOf(req)) ?? []));
    })
    .post(...ctx.authenticated, (req, res) => {
      const { partner } = parseBody(z.strictObject({ partner: z.string().trim().min(1).max(64) }), req);
      const userId = userOf(req);
      const partners = (partnersByUser.get(userId) ?? []).filter((p) => p !== partner);
      partners.push(partner);
      partnersByUser.delete(userId);
      partnersByUser.set(userId, partners.slice(-MAX_PARTNERS));
      if (partnersByUser.size > MAX_USERS) partnersByUser.delete(partnersByUser.keys().next().value as string);
      res.json(reply(partners.slice(-MAX_PARTNERS)));
    })
    .all(methodNotAllowed(["GET", "POST"]));

  return router;
}
