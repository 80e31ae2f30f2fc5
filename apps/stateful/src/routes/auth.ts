import { randomBytes } from "node:crypto";
import { methodNotAllowed, NotSupportedError, parseBody } from "@statelab/http";
import { loginSchema, presentedDevice, publicUser, sendDeviceCookie } from "@statelab/users";
import { type Request, Router } from "express";
import { clearSessionCookies, remainingTtlMs } from "../auth.js";
import type { RouteContext } from "./context.js";
import { storeOp } from "./store-op.js";

const promisify = (fn: (cb: (err?: unknown) => void) => void) =>
  new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

/** Drop the request's session so express-session neither saves it nor sets its cookie. */
const forgetSession = (req: Request) => {
  delete (req as { session?: unknown }).session;
};

export function authRoutes(ctx: RouteContext): Router {
  const { index, cache, binding, config, timeouts } = ctx;
  const router = Router();

  router
    .route("/auth/login")
    .post(ctx.rejectCrossSite, ctx.loadSession, async (req, res) => {
      const { username, password } = parseBody(loginSchema, req);
      const { user, device } = await ctx.authenticate({
        username,
        password,
        ip: req.ip ?? "unknown",
        device: presentedDevice(req),
      });
      const now = Date.now();
      const handle = randomBytes(16).toString("base64url");
      const csrfToken = randomBytes(32).toString("base64url");
      const ttl = remainingTtlMs({ createdAt: now }, timeouts, now);
      try {
        // A new id on login (fixation, S1/S3): regenerate() destroys the old session in the store.
        await promisify((cb) => req.session.regenerate(cb));
        Object.assign(req.session, {
          userId: user.id,
          handle,
          createdAt: now,
          refreshedAt: now,
          userAgent: (req.get("user-agent") ?? "").slice(0, 200),
          csrfToken,
        });
        // Answer only after the store has the session (S4): express-session would otherwise
        // save after the headers went out, and a failed save would leave a 200 with a dead cookie.
        await promisify((cb) => req.session.save(cb));
      } catch (error) {
        forgetSession(req);
        return storeOp(Promise.reject(error));
      }
      try {
        // The index must outlive the session, which activity can keep alive up to its absolute lifetime.
        await index.add(user.id, handle, req.sessionID, timeouts.absoluteMs);
      } catch (error) {
        // A session the index does not list would escape logout-all and DELETE /auth/sessions
        // (and live forever with hard state): take it back, as far as the store lets us.
        await promisify((cb) => req.session.destroy(cb)).catch(() => {});
        forgetSession(req);
        return storeOp(Promise.reject(error));
      }
      binding?.bind(req, user.id, csrfToken);
      const expiresAt = ttl === null ? null : new Date(now + ttl);
      cache?.issue(res, req.sessionID, { userId: user.id, handle, expiresAt, source: "session" });
      sendDeviceCookie(req, res, device);
      res.json({ user: publicUser(user), csrfToken });
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/auth/refresh")
    .post(() => {
      throw new NotSupportedError("cookie sessions are extended by activity; there is no refresh token");
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/auth/logout")
    .post(...ctx.authenticated, async (req, res) => {
      const auth = req.auth as NonNullable<typeof req.auth>;
      binding?.unbind(req);
      if (auth.handle) await storeOp(index.revoke(auth.userId, auth.handle));
      if (req.session) await storeOp(promisify((cb) => req.session.destroy(cb)));
      forgetSession(req);
      clearSessionCookies(res, config, cache);
      res.status(204).end();
    })
    .all(methodNotAllowed(["POST"]));

  router
    .route("/auth/logout-all")
    .post(...ctx.authenticated, async (req, res) => {
      const auth = req.auth as NonNullable<typeof req.auth>;
      binding?.unbind(req);
      await storeOp(index.revokeAll(auth.userId));
      if (req.session) await storeOp(promisify((cb) => req.session.destroy(cb)));
      forgetSession(req);
      clearSessionCookies(res, config, cache);
      res.status(204).end();
    })
    .all(methodNotAllowed(["POST"]));

  return router;
}
