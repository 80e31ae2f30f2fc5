import { randomBytes, timingSafeEqual } from "node:crypto";
import { ForbiddenError, NotSupportedError, UnauthenticatedError } from "@statelab/http";
import { type Request, type RequestHandler, Router } from "express";
import type { Defence } from "./defences.js";
import { authOf, type RefAuthKind, setAuth } from "./reference-auth.js";
import { publicUser, type RefUsers } from "./reference-users.js";

interface RefSession {
  userId: string;
  handle: string;
  csrf: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string;
}

const NAME = "sl_sid";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
const random = () => randomBytes(24).toString("base64url");

function cookieOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === NAME) return value.join("=");
  }
  return undefined;
}

/** Cookie sessions in memory, with regeneration on login, CSRF (token + cross-site check) and server-side logout. */
export function cookieAuth(users: RefUsers, without: Defence | undefined): RefAuthKind {
  const sessions = new Map<string, RefSession>();
  const attributes = without === "cookieFlags" ? "Path=/; SameSite=Lax" : "Path=/; HttpOnly; SameSite=Lax";
  const sidOf = (handle: string) => [...sessions].find(([, s]) => s.handle === handle)?.[0];

  const crossSite: RequestHandler = (req, _res, next) => {
    if (without === "csrf" || SAFE.has(req.method)) return next();
    const origin = req.get("origin");
    const foreign = origin !== undefined && origin !== `http://${req.get("host")}`;
    if (req.get("sec-fetch-site") === "cross-site" || foreign) throw new ForbiddenError("csrf_failed");
    next();
  };
  const session: RequestHandler = (req, _res, next) => {
    const sid = cookieOf(req);
    const found = sid === undefined ? undefined : sessions.get(sid);
    if (!found) throw new UnauthenticatedError("unauthenticated");
    found.lastSeenAt = new Date().toISOString();
    setAuth(req, {
      userId: found.userId,
      handle: found.handle,
      expiresAt: new Date(Date.now() + 1800_000).toISOString(),
    });
    next();
  };
  const csrfToken: RequestHandler = (req, _res, next) => {
    if (without === "csrf" || SAFE.has(req.method)) return next();
    const expected = Buffer.from(sessions.get(cookieOf(req) ?? "")?.csrf ?? "");
    const presented = Buffer.from(req.get("x-csrf-token") ?? "");
    if (expected.length === 0 || expected.length !== presented.length || !timingSafeEqual(expected, presented))
      throw new ForbiddenError("csrf_failed");
    next();
  };
  const authenticated = [crossSite, session, csrfToken];

  const routes = Router();
  routes.post("/auth/login", crossSite, async (req, res) => {
    const user = await users.login(req.body, req.ip ?? "");
    const arrivedWith = cookieOf(req);
    const existing = arrivedWith === undefined ? undefined : sessions.get(arrivedWith);
    let current: RefSession;
    if (existing && without === "regenerate") {
      existing.userId = user.id;
      current = existing;
    } else {
      if (arrivedWith !== undefined) sessions.delete(arrivedWith);
      const now = new Date().toISOString();
      const sid = random();
      current = { userId: user.id, handle: random(), csrf: random(), createdAt: now, lastSeenAt: now, userAgent: "" };
      current.userAgent = req.get("user-agent") ?? "";
      sessions.set(sid, current);
      res.setHeader("Set-Cookie", `${NAME}=${sid}; ${attributes}`);
    }
    res.json({ user: publicUser(user), csrfToken: current.csrf });
  });
  routes.post("/auth/logout", ...authenticated, (req, res) => {
    if (without !== "logoutRevokes") sessions.delete(cookieOf(req) ?? "");
    res.setHeader("Set-Cookie", `${NAME}=; Path=/; Max-Age=0`);
    res.status(204).end();
  });
  routes.post("/auth/logout-all", ...authenticated, (req, res) => {
    for (const [sid, s] of sessions) if (s.userId === authOf(req).userId) sessions.delete(sid);
    res.status(204).end();
  });
  routes.post("/auth/refresh", () => {
    throw new NotSupportedError("cookie sessions have no refresh");
  });

  return {
    kind: "session",
    routes,
    signingKeys: [],
    authenticated,
    list: (userId) => [...sessions.values()].filter((s) => s.userId === userId),
    end(userId, handle) {
      const sid = sidOf(handle);
      if (sid === undefined || sessions.get(sid)?.userId !== userId) return false;
      return sessions.delete(sid);
    },
  };
}
