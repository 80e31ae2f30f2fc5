import type { Express } from "express";
import { signupAndLogin } from "./index.js";

/** Signs up a fresh user on a stateless target and logs in; returns the token pair. */
export async function statelessLogin(target: Express | string, credentials?: { username: string; password: string }) {
  const { res, ...login } = await signupAndLogin(target, credentials, { prefix: "t", password: "token-pass-1" });
  return { ...login, accessToken: res.body.accessToken as string, refreshToken: res.body.refreshToken as string };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
