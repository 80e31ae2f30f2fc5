import type { Express } from "express";
import request from "supertest";
import { cookiePair, sessionIdOf, setCookieFor } from "./cookies.js";
import { uniqueName } from "./index.js";

/** Signs up a fresh user on a stateful target and logs in; returns what a browser would hold. */
export async function statefulLogin(target: Express | string, credentials?: { username: string; password: string }) {
  const creds = credentials ?? { username: uniqueName("s"), password: "session-pass-1" };
  if (!credentials)
    await request(target as string)
      .post("/auth/signup")
      .send(creds)
      .expect(201);
  const res = await request(target as string)
    .post("/auth/login")
    .send(creds)
    .expect(200);
  const setCookie = setCookieFor(res.headers, "sl_sid");
  if (!setCookie) throw new Error("login set no session cookie");
  return {
    credentials: creds,
    userId: res.body.user.id as string,
    cookie: cookiePair(setCookie),
    sid: sessionIdOf(setCookie),
    csrfToken: res.body.csrfToken as string,
    /** All cookies the login set (session + cache), as one Cookie header. */
    cookies: ((res.headers["set-cookie"] as unknown as string[]) ?? []).map(cookiePair).join("; "),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
