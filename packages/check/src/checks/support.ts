import type { Response } from "supertest";
import { expectStatus, expectWorks } from "../assert.js";
import type { Credential } from "../client.js";
import { type CheckContext, type Kind, SkipError } from "../types.js";

/** Long enough for any sane policy, short enough for any cap. */
export const PASSWORD = "check-pass-1234";

export const BOTH: readonly Kind[] = ["cookie", "bearer"];

export function needSignups(ctx: CheckContext): void {
  ctx.route("signup");
  if (!ctx.signups) throw new SkipError("signs up users of its own (off with --user)");
}

/** GET /me with exactly this credential. */
export const me = (ctx: CheckContext, credential: Credential) => ctx.client.as(credential, "GET", ctx.route("me"));

/** A logged-in session whose credential is known to work (the positive control). */
export async function workingSession(ctx: CheckContext, credentials?: { username: string; password: string }) {
  const session = await ctx.client.login(credentials ?? (await ctx.user()));
  expectWorks(await me(ctx, session.credential), 200, "GET /me with the credential login returned");
  return session;
}

export const bodyOf = (res: Response): Record<string, unknown> => (res.body ?? {}) as Record<string, unknown>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A request too big to take must get one of `statuses`, or have its connection
 * cut while it is being sent (a refusal too); never a 2xx or a 5xx.
 */
export async function expectRefusedOrCut(request: () => Promise<Response>, statuses: number[], what: string) {
  const res = await request().catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ECONNRESET" || error.code === "EPIPE") return undefined;
    throw error;
  });
  if (res) expectStatus(res, statuses, what);
}
