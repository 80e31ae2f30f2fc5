import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  X509Certificate,
} from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { jwtVerify, SignJWT } from "jose";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../tests/support/index.js";
import { statelessTestApp, tempKeyDir } from "../../../tests/support/stateless.js";
import { bearer, statelessLogin } from "../../../tests/support/stateless-client.js";
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

/**
 * Other spellings of the same token that jose on Node 20 verifies, with the
 * same claims: padding, an embedded space, and a last character that differs
 * only in the spare bits base64url leaves over — all in the signature segment,
 * the one part not covered by the signature itself.
 */
function byteVariants(token: string): Record<string, string> {
  const [header, payload, signature] = segments(token);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const original = Buffer.from(signature, "base64url");
  const lastChar = [...alphabet]
    .map((c) => signature.slice(0, -1) + c)
    .find((s) => s !== signature && Buffer.from(s, "base64url").equals(original));
  expect(lastChar).toBeDefined();
  return {
    padding: `${header}.${payload}.${signature}==`,
    space: `${header}.${payload}.${signature.slice(0, 20)} ${signature.slice(20)}`,
    "last character": `${header}.${payload}.${lastChar}`,
  };
}

const P256_ORDER = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
/** (r, n − s): the same ECDSA signature's other, high-S form. */
function highSTwin(token: string): string {
  const [header, payload, signature] = segments(token);
  const raw = Buffer.from(signature, "base64url");
  const s = BigInt(`0x${raw.subarray(32).toString("hex")}`);
  const highS = Buffer.from((P256_ORDER - s).toString(16).padStart(64, "0"), "hex");
  return `${header}.${payload}.${Buffer.concat([raw.subarray(0, 32), highS]).toString("base64url")}`;
}

/** An attacker's own Ed25519 key and a self-signed certificate for it (openssl req -x509), for x5c. */
const ATTACKER_KEY = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIK30bNg3T/asxrc0VPFQ4gkZM8XVVc9YuKsInA5bGk3K
-----END PRIVATE KEY-----`;
const ATTACKER_CERT = `-----BEGIN CERTIFICATE-----
MIIBPDCB76ADAgECAhRwB1wTaYAhZSlFPejeU4a+pX2RdjAFBgMrZXAwEzERMA8G
A1UEAwwIYXR0YWNrZXIwIBcNMjYxMTI1MTAyOTE4WhgPMjEyNjExMDExMDI5MTha
MBMxETAPBgNVBAMMCGF0dGFja2VyMCowBQYDK2VwAyEAr7lLlHBP6uXR+StxRnoW
86kS17xdy0qOmP8GxiGMmIyjUzBRMB0GA1UdDgQWBBQysUcpvQukRXE82JUlJ1PQ
/kYQkTAfBgNVHSMEGDAWgBQysUcpvQukRXE82JUlJ1PQ/kYQkTAPBgNVHRMBAf8E
BTADAQH/MAUGAytlcANBAEw56H2wdOSof+aA1wvrm68fpA47FAEFwvF8/AgN5Ofr
Thc9LsEXikD0UC/JWXPgIO9DT9E0xbXiE8exa5RtwwY=
-----END CERTIFICATE-----`;

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
    ["iat in the future, beyond the clock tolerance", { iat: Math.floor(Date.now() / 1000) + 60 }],
  ])("%s → 401", async (what, claims) => {
    // jose reports a too-old iat as expired too.
    await expect401(
      await forge({ claims }),
      h,
      what.startsWith("expired") || what.startsWith("issued") ? "token_expired" : "token_invalid",
    );
  });

  it("an iat a few seconds ahead, inside CLOCK_TOLERANCE (a peer's clock slightly fast) → 200", async () => {
    expect(h.config.clockToleranceSeconds).toBe(5);
    await me(await forge({ claims: { iat: Math.floor(Date.now() / 1000) + 3 } })).expect(200);
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

  it("an attacker's certificate embedded as x5c, signed with its key → 401 (x5c is never looked at)", async () => {
    const key = createPrivateKey(ATTACKER_KEY);
    const cert = new X509Certificate(ATTACKER_CERT);
    // An honest forgery: the certificate really is for the key that signs.
    expect(cert.publicKey.export({ format: "jwk" })).toEqual(createPublicKey(key).export({ format: "jwk" }));
    const x5c = [cert.raw.toString("base64")];
    await expect401(await forge({ key, header: { x5c } }));
    await expect401(await forge({ key, header: { x5c, kid: undefined } }));
    await expect401(await forge({ key, header: { x5c, kid: "attacker" } }));
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
    for (const variant of Object.values(byteVariants(good))) await expect401(variant);
  });

  it("a token over 4 KB, validly signed with the real key, → 401: the size cap alone refuses it", async () => {
    const publicKey = createPublicKey(h.keys.signer.key);
    const checks = { issuer: h.config.issuer, audience: h.config.audience, typ: "at+jwt" };
    const bare = (await forge()).length;
    // Padding that brings the token to just under the cap, and just over it.
    const under = await forge({ claims: { pad: "x".repeat(Math.floor(((4096 - bare) * 3) / 4) - 12) } });
    const over = await forge({ claims: { pad: "x".repeat(Math.floor(((4096 - bare) * 3) / 4) + 12) } });
    expect(under.length).toBeGreaterThan(4060);
    expect(under.length).toBeLessThanOrEqual(4096);
    expect(over.length).toBeGreaterThan(4096);
    expect(over.length).toBeLessThan(4140);
    // Both verify with jose itself: without the cap the server would accept the larger one too.
    await jwtVerify(under, publicKey, checks);
    await jwtVerify(over, publicKey, checks);
    await me(under).expect(200);
    await expect401(over);
  });

  it("a 200 KB token → 401 or 431, never 5xx", async () => {
    const [header, , signature] = segments(good);
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
    await expect401(highSTwin(token), es);
  });
});

describe("after logout (J6)", () => {
  it("the token's byte variants, which jose takes for the same token, → 401 like the token", async () => {
    const s = await statelessLogin(h.app);
    const publicKey = createPublicKey(h.keys.signer.key);
    const { jti } = decode(segments(s.accessToken)[1]);
    const variants = byteVariants(s.accessToken);
    for (const variant of Object.values(variants)) {
      // Same signature, same jti: to jose these are the token itself.
      expect((await jwtVerify(variant, publicKey)).payload.jti).toBe(jti);
    }
    await me(s.accessToken).expect(200);
    await request(h.app).post("/auth/logout").set(bearer(s.accessToken)).expect(204);
    await expect401(s.accessToken);
    for (const variant of Object.values(variants)) await expect401(variant);
  });

  it("ES256: the token's high-S twin, a valid signature of the same bytes, → 401 like the token", async () => {
    const s = await statelessLogin(es.app);
    const twin = highSTwin(s.accessToken);
    expect((await jwtVerify(twin, createPublicKey(es.keys.signer.key))).payload.jti).toBe(
      decode(segments(s.accessToken)[1]).jti,
    );
    await me(s.accessToken, es).expect(200);
    await request(es.app).post("/auth/logout").set(bearer(s.accessToken)).expect(204);
    await expect401(s.accessToken, es);
    await expect401(twin, es);
    for (const variant of Object.values(byteVariants(s.accessToken))) await expect401(variant, es);
  });
});
