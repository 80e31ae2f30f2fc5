import { ensure, expectError, expectStatus, expectWorks } from "../assert.js";
import type { Check } from "../types.js";
import { BOTH, bodyOf, me, needSignups, PASSWORD, workingSession } from "./support.js";

interface Listed {
  handle: string;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

/** The API itself (DESIGN.md's table): signup, login, me, logout, devices, errors. */
export const contractChecks: Check[] = [
  {
    id: "contract.signup",
    area: "contract",
    title: "POST signup → 201 with the public user, never a password or hash",
    kinds: BOTH,
    async run(ctx) {
      needSignups(ctx);
      const username = ctx.uniqueName();
      const res = await ctx.client.signup({ username, password: PASSWORD });
      expectStatus(res, 201, "signup");
      const user = bodyOf(res)[ctx.mapping.fields.user] as { id?: unknown; username?: unknown } | undefined;
      ensure(user && typeof user.id === "string", "signup: the body has no user with a string id");
      ensure(user.username === username, `signup: user.username is ${JSON.stringify(user.username)}`);
      ensure(!/argon2|bcrypt|scrypt|password/i.test(res.text), "signup: the body mentions the password or its hash");
    },
  },
  {
    id: "contract.signup-duplicate",
    area: "contract",
    title: "the same username again → 409 username_taken",
    kinds: BOTH,
    async run(ctx) {
      needSignups(ctx);
      const { username } = await ctx.newUser();
      const again = await ctx.client.signup({ username, password: `${PASSWORD}-other` });
      expectError(ctx.mapping, again, 409, "username_taken", "signup with a taken username");
    },
  },
  {
    id: "contract.signup-invalid",
    area: "contract",
    title: "a short password or a username with a space → 400 invalid_request",
    kinds: BOTH,
    async run(ctx) {
      needSignups(ctx);
      const short = await ctx.client.signup({ username: ctx.uniqueName(), password: "short" });
      expectError(ctx.mapping, short, 400, "invalid_request", "signup with a 5-character password");
      const spaced = await ctx.client.signup({ username: `${ctx.uniqueName()} x`, password: PASSWORD });
      expectError(ctx.mapping, spaced, 400, "invalid_request", "signup with a space in the username");
    },
  },
  {
    id: "contract.login",
    area: "contract",
    title: "login with the right password → 200 and a credential that works",
    kinds: BOTH,
    async run(ctx) {
      const credentials = await ctx.user();
      const session = await workingSession(ctx, credentials);
      ensure(session.user.username === credentials.username, "login: the body's user is not the one who logged in");
    },
  },
  {
    id: "contract.me",
    area: "contract",
    title: "GET /me → 200 with the user (and the instance and auth kind it documents)",
    kinds: BOTH,
    async run(ctx) {
      const credentials = await ctx.user();
      const session = await ctx.client.login(credentials);
      const res = await me(ctx, session.credential);
      expectStatus(res, 200, "GET /me");
      const body = bodyOf(res) as { user?: { username?: unknown }; instance?: unknown; auth?: { kind?: unknown } };
      ensure(body.user?.username === credentials.username, "GET /me: user.username is not the logged-in user");
      const header = res.headers["x-instance-id"];
      if (header !== undefined) ensure(body.instance === header, "GET /me: instance differs from X-Instance-Id");
      if (body.auth !== undefined) {
        const kind = ctx.kind === "cookie" ? "session" : "jwt";
        ensure(body.auth.kind === kind, `GET /me: auth.kind is ${JSON.stringify(body.auth.kind)}, not ${kind}`);
      }
    },
  },
  {
    id: "contract.me-unauthenticated",
    area: "contract",
    title: "GET /me without a credential → 401 unauthenticated in the error shape",
    kinds: BOTH,
    async run(ctx) {
      const res = await ctx.client.request("GET", ctx.route("me"));
      expectError(ctx.mapping, res, 401, "unauthenticated", "GET /me without a credential");
    },
  },
  {
    id: "contract.patch-me",
    area: "contract",
    title: "PATCH /me bumps the version; a stale version → 409 version_conflict",
    kinds: BOTH,
    async run(ctx) {
      const { displayName, version } = ctx.mapping.fields;
      const session = await ctx.client.login(await ctx.newUser());
      const read = await session.get(ctx.route("me"));
      expectWorks(read, 200, "GET /me");
      const current = Number((bodyOf(read).user as Record<string, unknown>)?.[version]);
      ensure(Number.isInteger(current), "GET /me: the user has no integer version");
      const first = await session.patch(ctx.route("me"), { [displayName]: "Ada", [version]: current });
      expectStatus(first, 200, "PATCH /me with the current version");
      const written = bodyOf(first).user as Record<string, unknown> | undefined;
      ensure(written?.[displayName] === "Ada", "PATCH /me: displayName not written");
      ensure(written?.[version] === current + 1, "PATCH /me: the version did not go up by one");
      const stale = await session.patch(ctx.route("me"), { [displayName]: "Lost", [version]: current });
      expectError(ctx.mapping, stale, 409, "version_conflict", "PATCH /me with a stale version");
      const after = bodyOf(await session.get(ctx.route("me"))).user as Record<string, unknown> | undefined;
      ensure(after?.[displayName] === "Ada", "the stale PATCH changed the user");
    },
  },
  {
    id: "contract.patch-me-invalid",
    area: "contract",
    title: "PATCH /me with an empty displayName → 400 invalid_request",
    kinds: BOTH,
    async run(ctx) {
      const session = await workingSession(ctx);
      const res = await session.patch(ctx.route("me"), { [ctx.mapping.fields.displayName]: "" });
      expectError(ctx.mapping, res, 400, "invalid_request", "PATCH /me with an empty displayName");
    },
  },
  {
    id: "contract.logout",
    area: "contract",
    title: "logout → 204 and ends it on the server: the old credential replayed → 401",
    kinds: BOTH,
    async run(ctx) {
      const session = await workingSession(ctx);
      expectStatus(await session.post(ctx.route("logout")), 204, "POST logout");
      expectStatus(await me(ctx, session.credential), 401, "GET /me with the credential from before logout");
    },
  },
  {
    id: "contract.logout-all",
    area: "contract",
    title: "logout-all ends every session of the user (both replayed → 401)",
    kinds: BOTH,
    async run(ctx) {
      const credentials = await ctx.newUser();
      const a = await workingSession(ctx, credentials);
      const b = await workingSession(ctx, credentials);
      expectStatus(await a.post(ctx.route("logoutAll")), 204, "POST logout-all");
      expectStatus(await me(ctx, a.credential), 401, "GET /me with the session that logged out all");
      expectStatus(await me(ctx, b.credential), 401, "GET /me with the user's other session");
    },
  },
  {
    id: "contract.sessions-list",
    area: "contract",
    title: "GET sessions lists each login once with an opaque handle, one marked current",
    kinds: BOTH,
    async run(ctx) {
      const credentials = await ctx.newUser();
      await ctx.client.login(credentials);
      const session = await ctx.client.login(credentials);
      const res = await session.get(ctx.route("sessions"));
      expectStatus(res, 200, "GET sessions");
      const list = bodyOf(res)[ctx.mapping.fields.sessions] as Listed[] | undefined;
      ensure(Array.isArray(list) && list.length === 2, `GET sessions: expected 2 entries, got ${list?.length}`);
      ensure(list.filter((s) => s.current === true).length === 1, "GET sessions: not exactly one marked current");
      for (const s of list) {
        ensure(
          [s.handle, s.createdAt, s.lastSeenAt].every((v) => typeof v === "string"),
          "GET sessions: an entry lacks handle, createdAt or lastSeenAt",
        );
      }
    },
  },
  {
    id: "contract.sessions-end",
    area: "contract",
    title: "DELETE sessions/:handle ends exactly that one; an unknown handle → 404",
    kinds: BOTH,
    async run(ctx) {
      const credentials = await ctx.newUser();
      const first = await workingSession(ctx, credentials);
      const second = await workingSession(ctx, credentials);
      const third = await workingSession(ctx, credentials);
      const route = ctx.route("sessions");
      const list = bodyOf(await third.get(route))[ctx.mapping.fields.sessions] as Listed[] | undefined;
      ensure(Array.isArray(list) && list.length === 3, "GET sessions: expected 3 entries");
      const handle = [...list].sort((x, y) => x.createdAt.localeCompare(y.createdAt))[1]?.handle as string;
      expectStatus(await third.delete(`${route}/${encodeURIComponent(handle)}`), 204, "DELETE the second session");
      expectStatus(await me(ctx, second.credential), 401, "GET /me with the ended session");
      expectStatus(await me(ctx, first.credential), 200, "GET /me with the first session");
      expectStatus(await me(ctx, third.credential), 200, "GET /me with the third session");
      const unknown = await third.delete(`${route}/no-such-handle`);
      expectError(ctx.mapping, unknown, 404, "not_found", "DELETE an unknown handle");
    },
  },
  {
    id: "contract.chat-partners",
    area: "contract",
    title: "POST /chat/partners is remembered by the instance that answered it",
    kinds: BOTH,
    async run(ctx) {
      const route = ctx.route("chatPartners");
      const session = await ctx.client.login(await ctx.newUser());
      const post = await session.post(route, { partner: "bob" });
      expectStatus(post, 200, "POST chat partners");
      const where = post.headers["x-instance-id"];
      ensure(JSON.stringify(post.body) === JSON.stringify({ partners: ["bob"], instance: where }), "POST: wrong body");
      // Behind a load balancer other instances answer too, and they do not know (that is the point).
      let sawSameInstance = false;
      for (let i = 0; i < 6; i++) {
        const res = await session.get(route);
        expectStatus(res, 200, "GET chat partners");
        const same = res.body.instance === where;
        sawSameInstance ||= same;
        ensure(
          JSON.stringify(res.body.partners) === JSON.stringify(same ? ["bob"] : []),
          `GET chat partners on ${res.body.instance}: ${JSON.stringify(res.body.partners)}`,
        );
      }
      ensure(sawSameInstance, "six GETs never reached the instance that answered the POST");
    },
  },
  {
    id: "contract.errors",
    area: "contract",
    title: "an unknown route → 404 not_found JSON; TRACE → 405 method_not_allowed",
    kinds: BOTH,
    async run(ctx) {
      const missing = await ctx.client.request("GET", `/no-such-route-${ctx.uniqueName()}`);
      expectError(ctx.mapping, missing, 404, "not_found", "GET an unknown route");
      const trace = await ctx.client.request("TRACE", ctx.route("me"));
      expectError(ctx.mapping, trace, 405, "method_not_allowed", "TRACE /me");
    },
  },
  {
    id: "contract.probes",
    area: "contract",
    title: "the liveness and readiness probes → 200",
    kinds: BOTH,
    async run(ctx) {
      expectStatus(await ctx.client.request("GET", ctx.route("health")), 200, "GET healthz");
      expectStatus(await ctx.client.request("GET", ctx.route("ready")), 200, "GET readyz");
    },
  },
];
