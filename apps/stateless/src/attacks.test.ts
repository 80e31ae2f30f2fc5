import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../tests/support/index.js";
import { statelessTestApp, tempKeyDir } from "../../../tests/support/stateless.js";
import { loadKeySet } from "./tokens/keys.js";

type Harness = Awaited<ReturnType<typeof statelessTestApp>>;
let h: Harness;
let es: Harness;
let userId: string;
let good: string;

beforeAll(async () => {
  [h, es] = [await statelessTestApp(), await statelessTestApp({ JWT_ALG: "ES256" })];
  const credentials = { username: uniqueName("atk"), password: "attack-pass-1" };
  await request(h.app).post("/auth/signup").send(credentials).expect(201);
  const login = await request(h.app).post("/auth/login").send(credentials).expect(200);
  userId = login.body.user.id;
  good = login.body.accessToken;
});

const me = (token: string, harness = h) => request(harness.app).get("/me").set("Authorization", `Bearer ${token}`);
const b64 = (value: object | string) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const segments = (token: string) => token.split(".") as [string, string, string];
const decode = (segment: string) => JSON.parse(Buffer.from(segment, "base64url").toString()) as Record<string, unknown>;

/** A token signed with `key`, claims and header as given on top of a valid baseline. */
async function forge(
  options: {
    key?: KeyObject | Uint8Array;
    header?: Record<string, unknown>;
    claims?: Record<string, unknown>;
    omitExp?: boolean;
  } = {},
  harness = h,
) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { ep: 0, fid: "00000000-0000-4000-8000-000000000000", ...options.claims };
  let jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: harness.keys.signer.alg,
      kid: harness.keys.signer.kid,
      typ: "at+jwt",
      ...options.header,
    } as never)
    .setIssuer(harness.config.issuer)
    .setAudience(harness.config.audience)
    .setSubject(userId)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setNotBefore(now);
  if (!options.omitExp) jwt = jwt.setExpirationTime(now + 60);
  if (options.claims?.iss !== undefined) jwt = jwt.setIssuer(String(options.claims.iss));
  if (options.claims?.aud !== undefined) jwt = jwt.setAudience(String(options.claims.aud));
  if (options.claims?.exp !== undefined) jwt = jwt.setExpirationTime(Number(options.claims.exp));
  if (options.claims?.nbf !== undefined) jwt = jwt.setNotBefore(Number(options.claims.nbf));
  if (options.claims?.iat !== undefined) jwt = jwt.setIssuedAt(Number(options.claims.iat));
  return jwt.sign((options.key ?? harness.keys.signer.key) as KeyObject);
}

async function expect401(token: string, harness = h, code = "token_invalid") {
  const res = await me(token, harness);
  expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 401, code });
  expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="statelab"/);
}

describe("the baseline", () => {
  it("a token this server issued → 200; a token forged with the right key and claims → 200 (the forge helper is honest)", async () => {
    await me(good).expect(200);
    await me(await forge()).expect(200);
  });
});

describe("algorithm allowlist (J1)", () => {
  it("alg none → 401, with or without a signature segment", async () => {
    const [, payload] = segments(good);
    const header = b64({ alg: "none", typ: "at+jwt", kid: h.keys.signer.kid });
    await expect401(`${header}.${payload}.`);
    await expect401(`${header}.${payload}.${b64("x")}`);
  });

  it("HS256 signed with the public key as the HMAC secret → 401, never 500", async () => {
    const publicPem = createPublicKey(h.keys.signer.key).export({ format: "pem", type: "spki" }) as string;
    const jwk = JSON.stringify(createPublicKey(h.keys.signer.key).export({ format: "jwk" }));
    for (const secret of [publicPem, jwk]) {
      await expect401(await forge({ key: new TextEncoder().encode(secret), header: { alg: "HS256" } }));
    }
  });

  it("another algorithm than the key's (ES256 header on an EdDSA kid) → 401", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await expect401(await forge({ key: privateKey, header: { alg: "ES256" } }));
  });

  it("an unknown crit header, correctly signed → 401", async () => {
    const [, payload] = segments(await forge());
    const header = b64({
      alg: "EdDSA",
      kid: h.keys.signer.kid,
      typ: "at+jwt",
      crit: ["x-statelab"],
      "x-statelab": true,
    });
    const signature = sign(null, Buffer.from(`${header}.${payload}`), h.keys.signer.key).toString("base64url");
    await expect401(`${header}.${payload}.${signature}`);
  });
});

describe("claims (J2)", () => {
  it.each([
    ["another issuer", { iss: "evil" }],
    ["another audience", { aud: "other-api" }],
    ["expired", { exp: Math.floor(Date.now() / 1000) - 60 }],
    ["not yet valid (nbf in the future)", { nbf: Math.floor(Date.now() / 1000) + 600 }],
    ["issued too long ago (maxTokenAge)", { iat: Math.floor(Date.now() / 1000) - 3600 }],
  ])("%s → 401", async (what, claims) => {
    // jose reports a too-old iat as expired too.
    await expect401(
      await forge({ claims }),
      h,
      what.startsWith("expired") || what.startsWith("issued") ? "token_expired" : "token_invalid",
    );
  });

  it("no exp → 401", async () => {
    await expect401(await forge({ omitExp: true }));
  });

  it("typ JWT (not at+jwt) → 401: a token minted for something else is no access token", async () => {
    await expect401(await forge({ header: { typ: "JWT" } }));
  });

  it("a refresh token used as an access token → 401", async () => {
    const credentials = { username: uniqueName("rt"), password: "attack-pass-1" };
    await request(h.app).post("/auth/signup").send(credentials).expect(201);
    const login = await request(h.app).post("/auth/login").send(credentials).expect(200);
    await expect401(login.body.refreshToken);
  });

  it("a payload altered after signing → 401", async () => {
    const [header, payload, signature] = segments(good);
    const altered = b64({ ...decode(payload), sub: "00000000-0000-4000-8000-000000000001" });
    await expect401(`${header}.${altered}.${signature}`);
  });

  it("a stripped signature → 401", async () => {
    const [header, payload] = segments(good);
    await expect401(`${header}.${payload}.`);
    await expect401(`${header}.${payload}`);
  });
});

describe("key ids and embedded keys (J3)", () => {
  it.each([
    ["unknown", "no-such-kid"],
    ["a path", "../../dev/null"],
    ["SQL", "' OR 1=1--"],
    ["10 KB", "k".repeat(10_000)],
  ])("kid %s → 401", async (_what, kid) => {
    await expect401(await forge({ header: { kid } }));
  });

  it("an attacker's key embedded as jwk, signed with it → 401", async () => {
    const attacker = generateKeyPairSync("ed25519");
    const jwk = attacker.publicKey.export({ format: "jwk" });
    await expect401(await forge({ key: attacker.privateKey, header: { jwk } }));
    await expect401(await forge({ key: attacker.privateKey, header: { jwk, kid: undefined } }));
  });

  it("jku and x5u are never fetched: a listener at the URL sees no connection", async () => {
    let connections = 0;
    const listener = http.createServer((_req, res) => res.end("{}"));
    listener.on("connection", () => connections++);
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/jwks.json`;
    try {
      const attacker = generateKeyPairSync("ed25519");
      await expect401(await forge({ key: attacker.privateKey, header: { jku: url, x5u: url, kid: "attacker" } }));
      await expect401(await forge({ key: attacker.privateKey, header: { jku: url } }));
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  });

  it("a token signed by another deployment's key → 401", async () => {
    const other = loadKeySet(tempKeyDir(), "EdDSA");
    await expect401(await forge({ key: other.signer.key, header: { kid: other.signer.kid } }));
  });
});

describe("encoding (J5)", () => {
  it("padding, embedded spaces and a non-canonical last character → 401", async () => {
    const [header, payload, signature] = segments(good);
    await expect401(`${header}.${payload}.${signature}==`);
    await expect401(`${header}.${payload} .${signature}`);
    // The last base64url character carries spare bits: change only those and the bytes stay the same.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const original = Buffer.from(signature, "base64url");
    const twin = [...alphabet]
      .map((c) => signature.slice(0, -1) + c)
      .find((s) => s !== signature && Buffer.from(s, "base64url").equals(original)) as string;
    expect(twin).toBeDefined();
    await expect401(`${header}.${payload}.${twin}`);
  });

  it("a 5 KB token → 401; a 200 KB one → 401 or 431, never 5xx", async () => {
    const [header, , signature] = segments(good);
    await expect401(`${header}.${b64({ pad: "x".repeat(4000) })}.${signature}`);
    const huge = await me(`${header}.${b64({ pad: "x".repeat(200_000) })}.${signature}`);
    expect([401, 431]).toContain(huge.status);
  });

  it("a malformed Authorization header → 401 with a Bearer challenge", async () => {
    for (const value of ["Bearer", "Basic abc", `Bearer ${good} extra`, "bearer"]) {
      const res = await request(h.app).get("/me").set("Authorization", value);
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
  });
});

describe("ES256", () => {
  it("every token the server issues verifies (it signs low-S; WebCrypto alone gives high S half the time)", async () => {
    const credentials = { username: uniqueName("es"), password: "attack-pass-1" };
    await request(es.app).post("/auth/signup").send(credentials).expect(201);
    for (let i = 0; i < 40; i++) {
      const login = await request(es.app).post("/auth/login").send(credentials).expect(200);
      await me(login.body.accessToken, es).expect(200);
    }
  });

  it("its own tokens verify; the high-S twin of a signature → 401", async () => {
    const credentials = { username: uniqueName("es"), password: "attack-pass-1" };
    await request(es.app).post("/auth/signup").send(credentials).expect(201);
    const login = await request(es.app).post("/auth/login").send(credentials).expect(200);
    const token: string = login.body.accessToken;
    await me(token, es).expect(200);
    const [header, payload, signature] = segments(token);
    const raw = Buffer.from(signature, "base64url");
    const n = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    const s = BigInt(`0x${raw.subarray(32).toString("hex")}`);
    const highS = Buffer.from((n - s).toString(16).padStart(64, "0"), "hex");
    const twin = Buffer.concat([raw.subarray(0, 32), highS]).toString("base64url");
    await expect401(`${header}.${payload}.${twin}`, es);
  });
});
