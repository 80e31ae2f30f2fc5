/**
 * The defences of the reference server. Each fixture is the reference with
 * exactly one of them switched off, and the checks it must fail.
 */
export const DEFENCES = {
  /** Off: alg none is taken unsigned, and HS256 is verified with the public key as its secret. */
  algAllowlist: { kind: "bearer", caughtBy: ["tokens.alg-none", "tokens.hs256-public-key"] },
  claimChecks: { kind: "bearer", caughtBy: ["tokens.wrong-issuer", "tokens.wrong-audience", "tokens.wrong-typ"] },
  canonicalEncoding: { kind: "bearer", caughtBy: ["tokens.non-canonical"] },
  expCheck: { kind: "bearer", caughtBy: ["tokens.expired", "tokens.no-exp"] },
  embeddedJwk: { kind: "bearer", caughtBy: ["tokens.embedded-jwk"] },
  refreshReuse: { kind: "bearer", caughtBy: ["tokens.refresh-reuse"] },
  logoutRevokes: { kind: "both", caughtBy: ["contract.logout", "tokens.logout-refresh"] },
  regenerate: { kind: "cookie", caughtBy: ["sessions.regenerate"] },
  csrf: { kind: "cookie", caughtBy: ["sessions.csrf-token", "sessions.csrf-origin"] },
  cookieFlags: { kind: "cookie", caughtBy: ["sessions.cookie-flags"] },
  jsonErrors: { kind: "both", caughtBy: ["http.malformed-json", "http.garbage"] },
  sameLoginError: { kind: "both", caughtBy: ["login.same-answer"] },
  dummyHash: { kind: "both", caughtBy: ["login.same-timing"] },
  rateLimit: { kind: "both", caughtBy: ["login.rate-limit"] },
} as const;

export type Defence = keyof typeof DEFENCES;
