import type { Express } from "express";
import { cookiePair, sessionIdOf, setCookieFor } from "./cookies.js";
import { signupAndLogin } from "./index.js";

/** Signs up a fresh user on a stateful target and logs in; returns what a browser would hold. */
export async function statefulLogin(target: Express | string, credentials?: { username: string; password: string }) {
  const { res, ...login } = await signupAndLogin(target, credentials, { prefix: "s", password: "session-pass-1" });
  const setCookie = setCookieFor(res.headers, "sl_sid");
  if (!setCookie) throw new Error("login set no session cookie");
  return {
    ...login,
    cookie: cookiePair(setCookie),
    sid: sessionIdOf(setCookie),
    csrfToken: res.body.csrfToken as string,
    /** All cookies the login set (session + cache), as one Cookie header. */
    cookies: ((res.headers["set-cookie"] as unknown as string[]) ?? []).map(cookiePair).join("; "),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
