import { performance } from "node:perf_hooks";
import { describe, ensure, expectError, expectStatus, fail } from "../assert.js";
import type { Check, CheckContext } from "../types.js";
import { BOTH, me, needSignups } from "./support.js";

/** Wrong-password samples stay under a per-account limit of 10 (RFC/OWASP-typical); unknown users cost nothing. */
const TIMING_SAMPLES = 5;
/** A gap smaller than this is noise on a loaded machine, whatever the ratio. */
const TIMING_FLOOR_MS = 15;
/** Give up looking for a 429 after this many failed logins. */
const RATE_LIMIT_ATTEMPTS = 20;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Signup → login → GET /me, the way a user would; the password must survive both hops unchanged. */
async function roundTrip(ctx: CheckContext, password: string) {
  needSignups(ctx);
  const credentials = { username: ctx.uniqueName(), password };
  expectStatus(await ctx.client.signup(credentials), 201, `signup with the password ${JSON.stringify(password)}`);
  const session = await ctx.client.login(credentials);
  expectStatus(await me(ctx, session.credential), 200, "GET /me after logging in with it");
  return credentials;
}

/** Login: enumeration by answer and by time, throttling, passwords kept whole. */
export const loginChecks: Check[] = [
  {
    id: "login.same-answer",
    area: "login",
    title: "wrong password and unknown user → the same 401 invalid_credentials, same body",
    kinds: BOTH,
    async run(ctx) {
      const credentials = await ctx.user();
      const wrong = await ctx.client.loginRequest({ ...credentials, password: `${credentials.password}-wrong` });
      const unknown = await ctx.client.loginRequest({ username: ctx.uniqueName(), password: "wrong-password-1" });
      expectError(ctx.mapping, wrong, 401, "invalid_credentials", "login with a wrong password");
      ensure(
        unknown.status === wrong.status,
        `unknown user → ${describe(unknown)}, wrong password → ${describe(wrong)}`,
      );
      ensure(
        JSON.stringify(unknown.body) === JSON.stringify(wrong.body),
        `the bodies differ: unknown user ${JSON.stringify(unknown.body)} vs wrong password ${JSON.stringify(wrong.body)}`,
      );
    },
  },
  {
    id: "login.same-timing",
    area: "login",
    title: `wrong password and unknown user take about as long (median of ${TIMING_SAMPLES} interleaved)`,
    kinds: BOTH,
    async run(ctx) {
      const credentials = await ctx.newUser();
      const time = async (username: string, password: string) => {
        const start = performance.now();
        const res = await ctx.client.loginRequest({ username, password });
        expectStatus(res, 401, "a failed login");
        return performance.now() - start;
      };
      await time(ctx.uniqueName(), "wrong-password-1"); // warm-up: connections, JIT
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < TIMING_SAMPLES; i++) {
        unknown.push(await time(ctx.uniqueName(), "wrong-password-1"));
        wrong.push(await time(credentials.username, `wrong-password-${i}`));
      }
      const [u, w] = [median(unknown), median(wrong)];
      const gap = Math.abs(u - w);
      if (gap > Math.max(TIMING_FLOOR_MS, 0.5 * Math.max(u, w))) {
        fail(`median ${u.toFixed(0)} ms for an unknown user vs ${w.toFixed(0)} ms for a wrong password`);
      }
    },
  },
  {
    id: "login.rate-limit",
    area: "login",
    title: `repeated failed logins → 429 with Retry-After (within ${RATE_LIMIT_ATTEMPTS})`,
    kinds: BOTH,
    async run(ctx) {
      // A name nobody has: the check never locks a real account out (and a throttle must count those too).
      const username = ctx.uniqueName();
      for (let attempt = 1; attempt <= RATE_LIMIT_ATTEMPTS; attempt++) {
        const res = await ctx.client.loginRequest({ username, password: `wrong-password-${attempt}` });
        if (res.status === 429) {
          expectError(ctx.mapping, res, 429, "rate_limited", "the throttled login");
          ensure(/^\d+$/.test(String(res.headers["retry-after"])), "429 without a Retry-After in seconds");
          return;
        }
        expectStatus(res, 401, `failed login #${attempt}`);
      }
      fail(`${RATE_LIMIT_ATTEMPTS} failed logins in a row for one username, never a 429`);
    },
  },
  {
    id: "login.password-characters",
    area: "login",
    title: "a 64-character and a Unicode password (accents, emoji, ß) round-trip",
    kinds: BOTH,
    async run(ctx) {
      const long = "0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOPQRSTUVWXYZ_";
      await roundTrip(ctx, long);
      await roundTrip(ctx, "pässwörd-🔑-ß");
    },
  },
  {
    id: "login.password-whole",
    area: "login",
    title: "passwords are compared whole and byte for byte (no truncation at 72, no normalisation)",
    kinds: BOTH,
    async run(ctx) {
      // 36 × "ü" is 72 UTF-8 bytes but 36 characters: catches a cut at 72 bytes and at 72 characters.
      const prefix = `${"ü".repeat(36)}${"x".repeat(36)}`;
      const { username } = await roundTrip(ctx, `${prefix}-the-real-tail-é`);
      for (const [password, what] of [
        [`${prefix}-another-tail-é`, "the same first 72 characters"],
        [prefix, "only the first 72 characters"],
        [`${prefix}-the-real-tail-é`.normalize("NFD"), "the same characters in NFD"],
      ] as const) {
        const res = await ctx.client.loginRequest({ username, password });
        expectError(ctx.mapping, res, 401, "invalid_credentials", `login with ${what}`);
      }
    },
  },
];
