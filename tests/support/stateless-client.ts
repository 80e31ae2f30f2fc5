import type { Express } from "express";
import request from "supertest";
import { uniqueName } from "./index.js";

/** Signs up a fresh user on a stateless target and logs in; returns the token pair. */
export async function statelessLogin(target: Express | string, credentials?: { username: string; password: string }) {
  const creds = credentials ?? { username: uniqueName("t"), password: "token-pass-1" };
  if (!credentials)
    await request(target as string)
      .post("/auth/signup")
      .send(creds)
      .expect(201);
  const res = await request(target as string)
    .post("/auth/login")
    .send(creds)
    .expect(200);
  return {
    credentials: creds,
    userId: res.body.user.id as string,
    accessToken: res.body.accessToken as string,
    refreshToken: res.body.refreshToken as string,
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
