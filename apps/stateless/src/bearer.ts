import { UnauthenticatedError } from "@statelab/http";
import type { RequestHandler } from "express";
import { bearerChallenge } from "./challenge.js";
import type { AccessClaims, AccessTokens } from "./tokens/access-token.js";
import type { Revocation } from "./tokens/revocation.js";

declare global {
  namespace Express {
    interface Request {
      /** The verified access token's claims (stateless backend). */
      claims?: AccessClaims;
    }
  }
}

/**
 * `Authorization: Bearer <token>` → verified claims on req.claims, or 401 with
 * a WWW-Authenticate challenge (RFC 6750). Each request carries its proof; the
 * process at most remembers that these exact bytes verified (the token cache).
 */
export function requireBearer(tokens: AccessTokens, revocation: Revocation): RequestHandler {
  return async function requireBearer(req, _res, next) {
    const header = req.headers.authorization;
    if (!header)
      return next(
        new UnauthenticatedError("unauthenticated", {
          message: "send Authorization: Bearer <token>",
          headers: bearerChallenge(),
        }),
      );
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match) {
      return next(
        new UnauthenticatedError("token_invalid", {
          message: "malformed Authorization header",
          headers: bearerChallenge("invalid_request"),
        }),
      );
    }
    const claims = await tokens.verify(match[1] as string);
    await revocation.check(claims);
    req.claims = claims;
    next();
  };
}
