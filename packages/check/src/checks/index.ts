import type { Check } from "../types.js";
import { contractChecks } from "./contract.js";
import { httpChecks } from "./http-input.js";
import { loginChecks } from "./login.js";
import { sessionChecks } from "./sessions.js";
import { tokenClaimChecks } from "./token-claims.js";
import { tokenChecks } from "./tokens.js";

/** Every check, in report order. */
export const allChecks: readonly Check[] = [
  ...contractChecks,
  ...sessionChecks,
  ...tokenChecks,
  ...tokenClaimChecks,
  ...loginChecks,
  ...httpChecks,
];
