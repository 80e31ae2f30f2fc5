/** RFC 6750 §3.1: the error codes a bearer challenge carries. */
export type BearerError = "invalid_request" | "invalid_token" | "insufficient_scope";

const REALM = "statelab";

/**
 * The `WWW-Authenticate` header of a 401 to a bearer request (RFC 6750 §3): the realm
 * alone when no credential came, plus the error and its description when one came and
 * was wrong. §3 allows only printable ASCII without `"` and `\` inside the quotes, so
 * anything else in the description is dropped rather than breaking the header.
 */
export function bearerChallenge(error?: BearerError, description?: string): { "WWW-Authenticate": string } {
  const params = [`realm="${REALM}"`];
  if (error) params.push(`error="${error}"`);
  if (error && description)
    params.push(`error_description="${description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "")}"`);
  return { "WWW-Authenticate": `Bearer ${params.join(", ")}` };
}
