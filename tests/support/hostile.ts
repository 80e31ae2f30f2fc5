import request from "supertest";
import { expect } from "vitest";
import { uniqueName } from "./index.js";

/** Every way a client can try to name its own address; a proxy must replace them, a backend must not trust them. */
const addressHeaders = (i: number): Record<string, string> => {
  const address = `198.51.100.${(i % 250) + 1}`;
  return [
    { "X-Forwarded-For": address },
    { Forwarded: `for=${address}` },
    { "X-Real-IP": address },
    { "X-Forwarded-For": `${address}, 203.0.113.${i % 250}` },
  ][i % 4] as Record<string, string>;
};

async function newAccount(signupUrl: string) {
  const credentials = { username: uniqueName("hostile"), password: "hostile-pass-1" };
  await request(signupUrl).post("/auth/signup").send(credentials).expect(201);
  return credentials;
}

/**
 * A5 as an attacker plays it: 40 wrong passwords for one account, each claiming a new
 * client address. The 11th and every later attempt → 429 with Retry-After, and then even
 * the right password (from this client, which has no device cookie).
 */
export async function expectRotatingAddressesThrottled(url: string, signupUrl = url): Promise<void> {
  const credentials = await newAccount(signupUrl);
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await request(url)
      .post("/auth/login")
      .set(addressHeaders(i))
      .send({ ...credentials, password: `wrong-password-${i}` });
    statuses.push(res.status);
    if (res.status === 429) expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
  }
  expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(statuses.slice(10)).toEqual(Array(30).fill(429));
  expect((await request(url).post("/auth/login").set(addressHeaders(99)).send(credentials)).status).toBe(429);
}

/** A7 as an attacker plays it: 40 wrong passwords at once → at most 10 checked (401), the rest 429. */
export async function expectBurstBounded(url: string, signupUrl = url): Promise<void> {
  const credentials = await newAccount(signupUrl);
  const answers = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      request(url)
        .post("/auth/login")
        .send({ ...credentials, password: `wrong-password-${i}` }),
    ),
  );
  const statuses = answers.map((res) => res.status);
  expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(10);
  expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
}
