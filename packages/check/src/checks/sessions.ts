import type { Response } from "supertest";
import { ensure, expectError, expectStatus } from "../assert.js";
import { cookiesOf } from "../client.js";
import type { Check, CheckContext } from "../types.js";
import { me, workingSession } from "./support.js";

/** The Set-Cookie line of the session cookie (`<name>` or `__Host-<name>`), if the response set it. */
function sessionCookie(ctx: CheckContext, res: Response): string | undefined {
  const raw = res.headers["set-cookie"] as unknown;
  const lines = Array.isArray(raw) ? (raw as string[]) : typeof raw === "string" ? [raw] : [];
  const name = ctx.mapping.cookie;
  return lines.find((line) => line.startsWith(`${name}=`) || line.startsWith(`__Host-${name}=`));
}

const cookieValue = (line: string) => line.split(";")[0]?.split("=").slice(1).join("=") ?? "";

function requireSessionCookie(ctx: CheckContext, res: Response, what: string): string {
  const line = sessionCookie(ctx, res);
  ensure(line, `${what} set no ${ctx.mapping.cookie} cookie (a mapping file names the session cookie: "cookie")`);
  return line;
}

/** Cookie sessions: cookie attributes, fixation, server-side logout, CSRF. */
export const sessionChecks: Check[] = [
  {
    id: "sessions.cookie-flags",
    area: "sessions",
    title: "the session cookie is HttpOnly, SameSite=Lax/Strict, Path=/, host-only (and Secure over https)",
    kinds: ["cookie"],
    async run(ctx) {
      const session = await ctx.client.login(await ctx.user());
      const line = requireSessionCookie(ctx, session.response, "login");
      const attributes = line
        .split(";")
        .slice(1)
        .map((part) => part.trim().toLowerCase());
      const has = (name: string) => attributes.some((a) => a === name || a.startsWith(`${name}=`));
      ensure(has("httponly"), `no HttpOnly (scripts could read it): ${line}`);
      ensure(
        attributes.includes("samesite=lax") || attributes.includes("samesite=strict"),
        `no SameSite=Lax or Strict: ${line}`,
      );
      ensure(attributes.includes("path=/"), `not Path=/: ${line}`);
      ensure(!has("domain"), `a Domain attribute (sent to every subdomain): ${line}`);
      if (ctx.baseUrl.startsWith("https:")) ensure(has("secure"), `no Secure over https: ${line}`);
    },
  },
  {
    id: "sessions.regenerate",
    area: "sessions",
    title: "login issues a new session id and ends the one it arrived with (fixation)",
    kinds: ["cookie"],
    async run(ctx) {
      const credentials = await ctx.user();
      const first = await workingSession(ctx, credentials);
      const before = cookieValue(requireSessionCookie(ctx, first.response, "login"));
      const again = await ctx.client.loginRequest(credentials, first.credential.cookie);
      expectStatus(again, 200, "login while sending an earlier session's cookie");
      const line = sessionCookie(ctx, again);
      // Logged out below whatever the verdict, so the check leaves no session behind.
      const fresh = { cookie: cookiesOf(again), csrfToken: again.body[ctx.mapping.fields.csrfToken] };
      try {
        ensure(line, "a login that arrived with a session cookie set no new one: the id was not regenerated");
        ensure(cookieValue(line) !== before, "login kept the session id it arrived with (session fixation)");
        expectStatus(await me(ctx, first.credential), 401, "GET /me with the session id from before the login");
      } finally {
        await ctx.client.as(fresh, "POST", ctx.route("logout")).send({});
      }
    },
  },
  {
    id: "sessions.csrf-token",
    area: "sessions",
    title: "a write without the CSRF token, or with another session's, → 403 csrf_failed",
    kinds: ["cookie"],
    async run(ctx) {
      const a = await workingSession(ctx);
      const b = await workingSession(ctx);
      const logout = ctx.route("logout");
      const none = await ctx.client.as({ cookie: a.credential.cookie }, "POST", logout).send({});
      expectError(ctx.mapping, none, 403, "csrf_failed", "POST logout without the CSRF token");
      const foreign = { cookie: a.credential.cookie, csrfToken: b.credential.csrfToken };
      const other = await ctx.client.as(foreign, "POST", logout).send({});
      expectError(ctx.mapping, other, 403, "csrf_failed", "POST logout with another session's CSRF token");
      expectStatus(await me(ctx, a.credential), 200, "GET /me after the refused logouts");
      expectStatus(await a.post(logout), 204, "POST logout with the session's own token");
    },
  },
  {
    id: "sessions.csrf-origin",
    area: "sessions",
    title: "a write from a foreign Origin or Sec-Fetch-Site: cross-site → 403, even with the token",
    kinds: ["cookie"],
    async run(ctx) {
      const a = await workingSession(ctx);
      const logout = ctx.route("logout");
      for (const [header, value] of [
        ["Origin", "https://evil.example"],
        ["Sec-Fetch-Site", "cross-site"],
      ] as const) {
        const res = await ctx.client.as(a.credential, "POST", logout).set(header, value).send({});
        expectError(ctx.mapping, res, 403, "csrf_failed", `POST logout with ${header}: ${value}`);
      }
      expectStatus(await me(ctx, a.credential), 200, "GET /me after the refused logouts");
    },
  },
];
