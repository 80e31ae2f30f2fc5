import { randomUUID } from "node:crypto";
import { expectWorks } from "../assert.js";
import { signJwt } from "../jwt.js";
import { type Check, type CheckContext, SkipError } from "../types.js";
import { me } from "./support.js";
import { expectRefused, goodToken } from "./tokens.js";

type Json = Record<string, unknown>;

/**
 * Signs a token with the server's own key (--signing-key): first one with the
 * server's own claims, which must work (else the key proves nothing), then one
 * changed by `spoil`, which must be refused.
 */
async function forgeAndExpectRefused(ctx: CheckContext, what: string, spoil: (header: Json, payload: Json) => void) {
  const { header, payload } = await goodToken(ctx);
  const key = ctx.signingKey(header.kid);
  const now = Math.floor(Date.now() / 1000);
  const fresh = (): Json => ({
    ...payload,
    jti: randomUUID(),
    iat: now,
    exp: now + 60,
    ...(payload.nbf === undefined ? {} : { nbf: now }),
  });
  const control = signJwt({ ...header, alg: key.alg }, fresh(), key.key);
  expectWorks(await me(ctx, { accessToken: control }), 200, "GET /me with a token signed by --signing-key");
  const [spoiledHeader, spoiledPayload] = [{ ...header, alg: key.alg }, fresh()];
  spoil(spoiledHeader, spoiledPayload);
  await expectRefused(ctx, signJwt(spoiledHeader, spoiledPayload, key.key), what);
}

const claimCheck = (id: string, title: string, spoil: (header: Json, payload: Json, now: number) => void): Check => ({
  id: `tokens.${id}`,
  area: "tokens",
  title: `${title} (needs --signing-key)`,
  kinds: ["bearer"],
  run: (ctx) =>
    forgeAndExpectRefused(ctx, `a validly signed token with ${title}`, (header, payload) =>
      spoil(header, payload, Math.floor(Date.now() / 1000)),
    ),
});

/** Validly signed tokens with bad claims: these need the server's key, so they run only with --signing-key. */
export const tokenClaimChecks: Check[] = [
  claimCheck("expired", "exp two minutes ago", (_h, payload, now) => {
    Object.assign(payload, { exp: now - 120, iat: now - 180 });
    if (payload.nbf !== undefined) payload.nbf = now - 180;
  }),
  claimCheck("no-exp", "no exp claim", (_h, payload) => {
    delete payload.exp;
  }),
  claimCheck("future-nbf", "nbf ten minutes ahead", (_h, payload, now) => {
    payload.nbf = now + 600;
  }),
  claimCheck("wrong-issuer", "another iss", (_h, payload) => {
    payload.iss = "https://evil.example";
  }),
  claimCheck("wrong-audience", "another aud", (_h, payload) => {
    payload.aud = "another-api";
  }),
  claimCheck("wrong-typ", "typ JWT instead of the server's own", (header) => {
    if (header.typ === undefined) throw new SkipError("the server's tokens carry no typ header");
    header.typ = header.typ === "JWT" ? "refresh+jwt" : "JWT";
  }),
];
