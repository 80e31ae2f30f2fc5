import { randomUUID } from "node:crypto";
import { UnauthenticatedError } from "@statelab/http";
import { errors, jwtVerify, SignJWT } from "jose";
import { bearerChallenge } from "../challenge.js";
import type { KeySet } from "./keys.js";

/** What an access token says, once verified. */
export interface AccessClaims {
  sub: string;
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
  /** The user's token epoch at issue; logout-all raises it. */
  ep: number;
  /** The refresh family (device) this token belongs to. */
  fid: string;
}

export interface AccessTokenOptions {
  keys: KeySet;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  clockToleranceSeconds: number;
  /** Verified tokens remembered; 0 = verify every time. */
  cacheSize: number;
}

/** A verification's result: the claims, and the kid whose key checked them. */
interface Verified {
  claims: AccessClaims;
  kid: string;
}

export const ACCESS_TOKEN_TYPE = "at+jwt";
const MAX_TOKEN_BYTES = 4096;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** The order of P-256, and half of it: an ES256 signature with s above the half is the malleable high-S twin. */
const P256_ORDER = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const P256_HALF_ORDER = P256_ORDER >> 1n;

/**
 * WebCrypto's ECDSA signs with high S half the time; (r, n - s) is the same
 * signature's canonical twin. Issuing only low-S lets verification refuse the
 * other twin, so one token has exactly one byte form.
 */
function toLowS(token: string): string {
  const dot = token.lastIndexOf(".");
  const signature = Buffer.from(token.slice(dot + 1), "base64url");
  const s = BigInt(`0x${signature.subarray(32).toString("hex")}`);
  if (s <= P256_HALF_ORDER) return token;
  const low = Buffer.from((P256_ORDER - s).toString(16).padStart(64, "0"), "hex");
  return `${token.slice(0, dot + 1)}${Buffer.concat([signature.subarray(0, 32), low]).toString("base64url")}`;
}

const invalid = (message: string, cause?: unknown) =>
  new UnauthenticatedError("token_invalid", {
    message,
    cause,
    headers: bearerChallenge("invalid_token", message),
  });

/** Each segment must be canonical base64url: jose on Node 20 accepts altered last characters, padding and spaces. */
const isCanonical = (segment: string) => Buffer.from(segment, "base64url").toString("base64url") === segment;

function parseHeader(segment: string): Record<string, unknown> {
  try {
    const header = JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as unknown;
    if (header && typeof header === "object" && !Array.isArray(header)) return header as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw invalid("malformed token header");
}

/** Signs and verifies access tokens. Routes never import jose: every failure leaves here as a 401. */
export function createAccessTokens(options: AccessTokenOptions) {
  const { keys, issuer, audience } = options;
  for (const [name, value] of Object.entries({ ttl: options.ttlSeconds, tolerance: options.clockToleranceSeconds })) {
    if (!Number.isInteger(value) || value < 0)
      throw new TypeError(`createAccessTokens: ${name} must be a non-negative integer`);
  }
  if (options.clockToleranceSeconds > 5)
    throw new TypeError("createAccessTokens: clock tolerance above 5 s is refused");
  // Exact token bytes → what verifying them found. A cache, not a record of users: it
  // decides nothing (exp, the kid and revocation are checked on every use), so losing
  // it, or VERIFY_CACHE_SIZE=0, changes only speed, never an answer.
  const cache = new Map<string, Verified>();

  async function verifyUncached(token: string): Promise<Verified> {
    if (token.length > MAX_TOKEN_BYTES || !COMPACT_JWS.test(token)) throw invalid("not a compact JWS");
    const [headerSegment, payloadSegment, signatureSegment] = token.split(".") as [string, string, string];
    if (!isCanonical(headerSegment) || !isCanonical(payloadSegment) || !isCanonical(signatureSegment)) {
      throw invalid("non-canonical base64url");
    }
    const header = parseHeader(headerSegment);
    const kid = header.kid;
    if (typeof kid !== "string") throw invalid("unknown key id");
    // The kid only selects from the in-memory set; jku, x5u, jwk and x5c are never looked at.
    // A kid not in it may be a key another instance already signs with: the set re-reads
    // KEY_DIR (at most once a second) and the kid is looked up again, never used otherwise.
    let verifier = keys.verifier(kid);
    if (!verifier) {
      await keys.refresh();
      verifier = keys.verifier(kid);
    }
    if (!verifier) throw invalid("unknown key id");
    if (header.alg !== verifier.alg) throw invalid("algorithm not allowed for this key");
    if (verifier.alg === "ES256") {
      const signature = Buffer.from(signatureSegment, "base64url");
      if (signature.length !== 64 || BigInt(`0x${signature.subarray(32).toString("hex")}`) > P256_HALF_ORDER) {
        throw invalid("non-canonical ES256 signature");
      }
    }
    try {
      const { payload } = await jwtVerify(token, verifier.key, {
        algorithms: [verifier.alg],
        issuer,
        audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["exp", "iat", "nbf", "sub", "jti"],
        maxTokenAge: options.ttlSeconds + options.clockToleranceSeconds,
        clockTolerance: options.clockToleranceSeconds,
      });
      if (typeof payload.ep !== "number" || typeof payload.fid !== "string") throw invalid("missing claims");
      const claims = {
        sub: payload.sub as string,
        jti: payload.jti as string,
        exp: payload.exp as number,
        ep: payload.ep,
        fid: payload.fid,
      };
      return { claims, kid };
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof errors.JWTExpired) {
        throw new UnauthenticatedError("token_expired", {
          message: "the access token expired; refresh it",
          cause: error,
          headers: bearerChallenge("invalid_token", "expired"),
        });
      }
      // Every other jose error, TypeError included (HS256 with a public key), is a 401, never a 500.
      throw invalid("signature or claims rejected", error);
    }
  }

  return {
    async sign(claims: { sub: string; ep: number; fid: string }): Promise<{ token: string; claims: AccessClaims }> {
      // Taken once: a re-read of KEY_DIR may replace the signer while this one is signing.
      const signer = keys.signer;
      const now = Math.floor(Date.now() / 1000);
      const jti = randomUUID();
      const exp = now + options.ttlSeconds;
      const signed = await new SignJWT({ ep: claims.ep, fid: claims.fid })
        .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(claims.sub)
        .setJti(jti)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(exp)
        .sign(signer.key);
      return { token: signer.alg === "ES256" ? toLowS(signed) : signed, claims: { ...claims, jti, exp } };
    },

    /**
     * Verifies a token, or returns what a previous verification of the exact
     * same bytes found. A cached token is still checked for expiry and for its
     * kid still being in the key set here, and for revocation by the caller, on
     * every use.
     */
    async verify(token: string): Promise<AccessClaims> {
      const cached = options.cacheSize > 0 ? cache.get(token) : undefined;
      if (cached) {
        if (cached.claims.exp + options.clockToleranceSeconds > Date.now() / 1000 && keys.verifier(cached.kid)) {
          return cached.claims;
        }
        cache.delete(token);
        return (await verifyUncached(token)).claims;
      }
      const verified = await verifyUncached(token);
      if (options.cacheSize > 0) {
        if (cache.size >= options.cacheSize) cache.delete(cache.keys().next().value as string);
        cache.set(token, verified);
      }
      return verified.claims;
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
