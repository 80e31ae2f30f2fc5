import { createPublicKey, generateKeyPairSync, type JsonWebKey } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ensure, expectStatus } from "../assert.js";
import { b64, byteVariants, decodeJwt, signJwt } from "../jwt.js";
import type { Check, CheckContext } from "../types.js";
import { bodyOf, expectRefusedOrCut, me, sleep, workingSession } from "./support.js";

/** A working access token of a fresh login, decoded. */
export async function goodToken(ctx: CheckContext) {
  const session = await workingSession(ctx);
  const token = session.credential.accessToken;
  ensure(typeof token === "string", `login returned no ${ctx.mapping.fields.accessToken}`);
  return { session, token, ...decodeJwt(token) };
}

/** GET /me with `token` must be refused (401; `alsoAllowed` for e.g. 431). */
export async function expectRefused(ctx: CheckContext, token: string, what: string, alsoAllowed: number[] = []) {
  expectStatus(await me(ctx, { accessToken: token }), [401, ...alsoAllowed], `GET /me with ${what}`);
}

const refresh = (ctx: CheckContext, refreshToken: string) =>
  ctx.client.request("POST", ctx.route("refresh")).send({ [ctx.mapping.fields.refreshToken]: refreshToken });

/** An attacker's own Ed25519 key, made per run. */
const attackerKey = () => generateKeyPairSync("ed25519");

/** Bearer tokens forged or mangled without the server's key: every one → 401. */
export const tokenChecks: Check[] = [
  {
    id: "tokens.alg-none",
    area: "tokens",
    title: "alg none (any spelling, with or without a signature) → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const { header, segments } = await goodToken(ctx);
      for (const alg of ["none", "None", "NONE"]) {
        const unsigned = `${b64({ ...header, alg })}.${segments[1]}`;
        await expectRefused(ctx, `${unsigned}.`, `alg ${alg} and no signature`);
        await expectRefused(ctx, `${unsigned}.${segments[2]}`, `alg ${alg} and the original signature`);
      }
    },
  },
  {
    id: "tokens.hs256-public-key",
    area: "tokens",
    title: "HS256 signed with the server's public key (PEM or JWK) as the secret → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const { header, payload } = await goodToken(ctx);
      const jwks = await ctx.client.request("GET", ctx.route("jwks"));
      expectStatus(jwks, 200, "GET jwks");
      const keys = (bodyOf(jwks).keys ?? []) as JsonWebKey[];
      ensure(Array.isArray(keys) && keys.length > 0, "the JWKS lists no keys");
      for (const jwk of keys) {
        const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" }) as string;
        for (const secret of [pem, pem.trim(), JSON.stringify(jwk)]) {
          const token = signJwt({ ...header, alg: "HS256" }, payload, secret);
          await expectRefused(ctx, token, `HS256 keyed with the public key of kid ${String(jwk.kid)}`);
        }
      }
    },
  },
  {
    id: "tokens.stripped-signature",
    area: "tokens",
    title: "the signature stripped (empty, or the segment removed) → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const [header, payload] = (await goodToken(ctx)).segments;
      await expectRefused(ctx, `${header}.${payload}.`, "an empty signature");
      await expectRefused(ctx, `${header}.${payload}`, "two segments");
    },
  },
  {
    id: "tokens.tampered",
    area: "tokens",
    title: "a changed signature byte, or claims changed after signing (sub, exp) → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const { payload, segments } = await goodToken(ctx);
      const [header, body, signature] = segments;
      const mid = Math.floor(signature.length / 2);
      const flipped = signature.slice(0, mid) + (signature[mid] === "A" ? "B" : "A") + signature.slice(mid + 1);
      await expectRefused(ctx, `${header}.${body}.${flipped}`, "one signature character changed");
      const forged = b64({ ...payload, sub: "00000000-0000-4000-8000-000000000001" });
      await expectRefused(ctx, `${header}.${forged}.${signature}`, "another sub under the original signature");
      const longer = b64({ ...payload, exp: Number(payload.exp ?? 0) + 86_400 });
      await expectRefused(ctx, `${header}.${longer}.${signature}`, "a later exp under the original signature");
    },
  },
  {
    id: "tokens.hostile-kid",
    area: "tokens",
    title: "a hostile kid (path to /dev/null, SQL, 10 KB) with a signature it would make valid → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const { header, payload } = await goodToken(ctx);
      const attempts: [string, string, string][] = [
        ["../../../../../../../../dev/null", "", "kid ../../dev/null, HS256 keyed with nothing"],
        ["x' UNION SELECT 'statelab-check' -- ", "statelab-check", "kid with SQL, HS256 keyed with its result"],
        ["k".repeat(10_000), "k", "a 10 KB kid"],
      ];
      for (const [kid, secret, what] of attempts) {
        await expectRefused(ctx, signJwt({ ...header, alg: "HS256", kid }, payload, secret), what);
      }
    },
  },
  {
    id: "tokens.embedded-jwk",
    area: "tokens",
    title: "signed by an attacker's key embedded in the header (jwk) → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const { header, payload } = await goodToken(ctx);
      const attacker = attackerKey();
      const jwk = attacker.publicKey.export({ format: "jwk" });
      const { kid: _kid, ...withoutKid } = header;
      const attempts: [Record<string, unknown>, string][] = [
        [{ ...header, alg: "EdDSA", jwk }, "an embedded jwk and the server's kid"],
        [{ ...withoutKid, alg: "EdDSA", jwk }, "an embedded jwk and no kid"],
      ];
      for (const [h, what] of attempts) await expectRefused(ctx, signJwt(h, payload, attacker.privateKey), what);
    },
  },
  {
    id: "tokens.jku",
    area: "tokens",
    title: "jku / x5u pointing at the attacker's keys → 401, and the URL is never fetched",
    kinds: ["bearer"],
    async run(ctx) {
      const { header, payload } = await goodToken(ctx);
      const attacker = attackerKey();
      const jwks = JSON.stringify({ keys: [{ ...attacker.publicKey.export({ format: "jwk" }), kid: "attacker" }] });
      let connections = 0;
      const listener = http.createServer((_req, res) => res.end(jwks));
      listener.on("connection", () => connections++);
      await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/jwks.json`;
      try {
        for (const extra of [{ jku: url }, { x5u: url }]) {
          const token = signJwt({ ...header, alg: "EdDSA", kid: "attacker", ...extra }, payload, attacker.privateKey);
          await expectRefused(ctx, token, `${Object.keys(extra)[0]} to the attacker's key set`);
        }
        await sleep(100);
        ensure(connections === 0, `the server fetched the attacker's jku/x5u URL (${connections} connections)`);
      } finally {
        listener.close();
        listener.closeAllConnections();
      }
    },
  },
  {
    id: "tokens.oversized",
    area: "tokens",
    title: "a 200 KB token → 401 or 431 (or the connection cut), never 5xx",
    kinds: ["bearer"],
    async run(ctx) {
      const [header, , signature] = (await goodToken(ctx)).segments;
      const huge = `${header}.${b64({ pad: "x".repeat(200_000) })}.${signature}`;
      await expectRefusedOrCut(async () => me(ctx, { accessToken: huge }), [401, 431], "GET /me with a 200 KB token");
    },
  },
  {
    id: "tokens.non-canonical",
    area: "tokens",
    title: "the token re-spelled (= padding, a space, a non-canonical last base64url character) → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const { token } = await goodToken(ctx);
      for (const variant of byteVariants(token)) await expectRefused(ctx, variant, `the variant ${variant.slice(-12)}`);
    },
  },
  {
    id: "tokens.refresh-as-access",
    area: "tokens",
    title: "a refresh token used as the access token → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const { session } = await goodToken(ctx);
      const refreshToken = session.credential.refreshToken;
      ensure(typeof refreshToken === "string", `login returned no ${ctx.mapping.fields.refreshToken}`);
      await expectRefused(ctx, refreshToken, "the refresh token");
    },
  },
  {
    id: "tokens.challenge",
    area: "tokens",
    title: "a 401 for a bad token carries WWW-Authenticate: Bearer (RFC 6750)",
    kinds: ["bearer"],
    async run(ctx) {
      const res = await me(ctx, { accessToken: "not-a-token" });
      expectStatus(res, 401, "GET /me with Bearer not-a-token");
      ensure(/^Bearer\b/i.test(String(res.headers["www-authenticate"] ?? "")), "no WWW-Authenticate: Bearer");
    },
  },
  {
    id: "tokens.refresh-rotation",
    area: "tokens",
    title: "refresh → a new access token that works and a new refresh token",
    kinds: ["bearer"],
    async run(ctx) {
      const { session } = await goodToken(ctx);
      const first = session.credential.refreshToken as string;
      const res = await refresh(ctx, first);
      expectStatus(res, 200, "POST refresh");
      const { accessToken, refreshToken } = ctx.mapping.fields;
      const next = {
        accessToken: bodyOf(res)[accessToken] as string,
        refreshToken: bodyOf(res)[refreshToken] as string | undefined,
      };
      ensure(typeof next.refreshToken === "string", "refresh returned no refresh token");
      ensure(next.refreshToken !== first, "refresh returned the same refresh token (no rotation)");
      expectStatus(await me(ctx, next), 200, "GET /me with the refreshed access token");
      await ctx.client.as(next, "POST", ctx.route("logout")).send({});
    },
  },
  {
    id: "tokens.refresh-reuse",
    area: "tokens",
    title: "a spent refresh token → 401, and its whole family dies (the newer one → 401)",
    kinds: ["bearer"],
    async run(ctx) {
      const { session } = await goodToken(ctx);
      const spent = session.credential.refreshToken as string;
      const rotated = await refresh(ctx, spent);
      expectStatus(rotated, 200, "POST refresh");
      const newer = bodyOf(rotated)[ctx.mapping.fields.refreshToken] as string;
      expectStatus(await refresh(ctx, spent), 401, "POST refresh with the spent refresh token");
      expectStatus(await refresh(ctx, newer), 401, "POST refresh with the newer token after the reuse");
    },
  },
  {
    id: "tokens.logout-refresh",
    area: "tokens",
    title: "after logout the refresh token → 401",
    kinds: ["bearer"],
    async run(ctx) {
      const { session } = await goodToken(ctx);
      expectStatus(await session.post(ctx.route("logout")), 204, "POST logout");
      expectStatus(await refresh(ctx, session.credential.refreshToken as string), 401, "refresh after logout");
    },
  },
];
