import { createHash, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { UnauthenticatedError } from "@statelab/http";
import { Router } from "express";
import { decodeProtectedHeader, importJWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { Defence } from "./defences.js";
import { authOf, type RefAuthKind, setAuth } from "./reference-auth.js";
import { publicUser, type RefUser, type RefUsers } from "./reference-users.js";

interface Family {
  id: string;
  userId: string;
  revoked: boolean;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string;
}

const ISSUER = "reference";
const AUDIENCE = "reference-api";
const TTL_SECONDS = 300;
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const challenge = { "WWW-Authenticate": 'Bearer realm="reference", error="invalid_token"' };
const invalid = () => new UnauthenticatedError("token_invalid", { headers: challenge });
const sha = (value: string) => createHash("sha256").update(value).digest("base64url");

/** Access JWTs (jose, EdDSA) checked per request, rotating refresh tokens in families, a jti denylist. */
export function bearerAuth(users: RefUsers, without: Defence | undefined): RefAuthKind {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const kid = randomBytes(8).toString("base64url");
  const publicPem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const families = new Map<string, Family>();
  const refreshTokens = new Map<string, { familyId: string; used: boolean }>();
  const deniedJtis = new Set<string>();
  const epochs = new Map<string, number>();

  async function issue(user: RefUser, family: Family) {
    const refreshToken = randomBytes(32).toString("base64url");
    refreshTokens.set(sha(refreshToken), { familyId: family.id, used: false });
    const accessToken = await new SignJWT({ fid: family.id, ep: epochs.get(user.id) ?? 0 })
      .setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(user.id)
      .setJti(randomUUID())
      .setIssuedAt()
      .setNotBefore("0s")
      .setExpirationTime(`${TTL_SECONDS}s`)
      .sign(privateKey);
    return { accessToken, refreshToken, expiresIn: TTL_SECONDS, tokenType: "Bearer", user: publicUser(user) };
  }

  async function verify(token: string): Promise<JWTPayload> {
    if (token.length > 4096) throw invalid();
    const [head, body, signature] = token.split(".") as [string, string, string];
    // jose on Node 20 reads `=` padding and non-canonical last characters as the same bytes: refuse them first.
    const canonical = COMPACT.test(token) && Buffer.from(signature, "base64url").toString("base64url") === signature;
    if (!canonical && without !== "canonicalEncoding") throw invalid();
    const header = decodeProtectedHeader(token);
    const payload = JSON.parse(Buffer.from(body, "base64url").toString()) as JWTPayload;
    if (without === "algAllowlist" && String(header.alg).toLowerCase() === "none" && head) return payload;
    const confused = without === "algAllowlist" && header.alg === "HS256";
    const key = confused
      ? new TextEncoder().encode(publicPem)
      : without === "embeddedJwk" && header.jwk
        ? await importJWK(header.jwk, "EdDSA")
        : header.kid === kid && publicKey;
    if (!key) throw invalid();
    const noExp = without === "expCheck";
    const { payload: verified } = await jwtVerify(token, key, {
      algorithms: [confused ? "HS256" : "EdDSA"],
      ...(without === "claimChecks" ? {} : { issuer: ISSUER, audience: AUDIENCE, typ: "at+jwt" }),
      requiredClaims: noExp ? ["iat", "nbf", "sub", "jti"] : ["exp", "iat", "nbf", "sub", "jti"],
      maxTokenAge: noExp ? undefined : TTL_SECONDS + 5,
      clockTolerance: 5,
      // Without the exp defence the clock is read as the token's own iat: nbf still holds, exp never bites.
      ...(noExp ? { currentDate: new Date(Number(payload.iat) * 1000) } : {}),
    });
    return verified;
  }

  const routes = Router();
  const bearer = async (header: string | undefined) => {
    const match = /^Bearer ([^\s]+)$/i.exec(header ?? "");
    if (!match) throw new UnauthenticatedError("unauthenticated", { headers: challenge });
    const claims = await verify(match[1] as string).catch(() => {
      throw invalid();
    });
    const family = families.get(String(claims.fid));
    const revoked = deniedJtis.has(String(claims.jti)) || family?.revoked !== false;
    if (revoked || Number(claims.ep) < (epochs.get(String(claims.sub)) ?? 0)) throw invalid();
    return claims;
  };
  const authenticated = [
    async (req: Parameters<RefAuthKind["authenticated"][number]>[0], _res: unknown, next: () => void) => {
      const claims = await bearer(req.headers.authorization);
      const expiresAt = new Date(Number(claims.exp ?? 0) * 1000).toISOString();
      setAuth(req, { userId: String(claims.sub), handle: String(claims.fid), expiresAt });
      (req as unknown as { jti: string }).jti = String(claims.jti);
      next();
    },
  ] as RefAuthKind["authenticated"];

  routes.post("/auth/login", async (req, res) => {
    const user = await users.login(req.body, req.ip ?? "");
    const now = new Date().toISOString();
    const family = {
      id: randomUUID(),
      userId: user.id,
      revoked: false,
      createdAt: now,
      lastSeenAt: now,
      userAgent: "",
    };
    families.set(family.id, family);
    res.json(await issue(user, family));
  });
  routes.post("/auth/refresh", async (req, res) => {
    const entry = refreshTokens.get(sha(String(req.body?.refreshToken)));
    const family = entry && families.get(entry.familyId);
    if (!entry || !family || family.revoked) throw invalid();
    if (entry.used && without !== "refreshReuse") {
      family.revoked = true;
      throw new UnauthenticatedError("refresh_reused");
    }
    entry.used = true;
    family.lastSeenAt = new Date().toISOString();
    res.json(await issue(users.byId(family.userId) as RefUser, family));
  });
  routes.post("/auth/logout", ...authenticated, (req, res) => {
    if (without !== "logoutRevokes") {
      deniedJtis.add((req as unknown as { jti: string }).jti);
      const family = families.get(authOf(req).handle);
      if (family) family.revoked = true;
    }
    res.status(204).end();
  });
  routes.post("/auth/logout-all", ...authenticated, (req, res) => {
    const { userId } = authOf(req);
    epochs.set(userId, (epochs.get(userId) ?? 0) + 1);
    for (const family of families.values()) if (family.userId === userId) family.revoked = true;
    res.status(204).end();
  });
  routes.get("/.well-known/jwks.json", (_req, res) => {
    res.json({ keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "EdDSA", use: "sig" }] });
  });

  return {
    kind: "jwt",
    routes,
    authenticated,
    signingKeys: [{ key: privateKey, alg: "EdDSA", kid }],
    list: (userId) =>
      [...families.values()]
        .filter((f) => f.userId === userId && !f.revoked)
        .map((f) => ({ handle: f.id, createdAt: f.createdAt, lastSeenAt: f.lastSeenAt, userAgent: f.userAgent })),
    end(userId, handle) {
      const family = families.get(handle);
      if (!family || family.userId !== userId || family.revoked) return false;
      family.revoked = true;
      return true;
    },
  };
}
