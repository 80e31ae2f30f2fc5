import { createHmac, createPrivateKey, type KeyObject, sign } from "node:crypto";
import { readFileSync } from "node:fs";

/** A private key the checker may sign with: the server's own (--signing-key) or an attacker's. */
export interface SigningKey {
  key: KeyObject;
  alg: string;
  kid?: string;
}

type Json = Record<string, unknown>;

export const b64 = (value: Json | string | Buffer): string =>
  (Buffer.isBuffer(value) ? value : Buffer.from(typeof value === "string" ? value : JSON.stringify(value))).toString(
    "base64url",
  );

/** The three segments of a compact JWS and its decoded header and payload. */
export function decodeJwt(token: string): { header: Json; payload: Json; segments: [string, string, string] } {
  const segments = token.split(".") as [string, string, string];
  if (segments.length !== 3) throw new Error("the server's access token is not a compact JWS (three segments)");
  const decode = (segment: string) => JSON.parse(Buffer.from(segment, "base64url").toString()) as Json;
  try {
    return { header: decode(segments[0]), payload: decode(segments[1]), segments };
  } catch {
    throw new Error("the server's access token is not a JWT (its header or payload is not base64url JSON)");
  }
}

/** Signs `header.payload` with `header.alg`: HS256 with a secret, EdDSA/ES256/RS256 with a private key. */
export function signJwt(header: Json, payload: Json, key: KeyObject | string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const alg = String(header.alg);
  let signature: Buffer;
  if (alg === "HS256")
    signature = createHmac("sha256", key as string | Buffer)
      .update(input)
      .digest();
  else if (alg === "EdDSA") signature = sign(null, Buffer.from(input), key as KeyObject);
  else if (alg === "ES256")
    signature = sign("sha256", Buffer.from(input), { key: key as KeyObject, dsaEncoding: "ieee-p1363" });
  else if (alg === "RS256") signature = sign("sha256", Buffer.from(input), key as KeyObject);
  else throw new Error(`cannot sign with alg ${alg}`);
  return `${input}.${signature.toString("base64url")}`;
}

/** The JWS alg a private key signs with. */
function algOf(key: KeyObject): string {
  if (key.asymmetricKeyType === "ed25519") return "EdDSA";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  if (key.asymmetricKeyType === "rsa") return "RS256";
  throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
}

/**
 * Reads the server's private signing keys: a PEM private key, a private JWK, a
 * JWK set (`{"keys":[…]}`), or statelab's `KEY_DIR/jwt-keys.json` (whose entries
 * wrap the JWK in `privateJwk`; retired keys are left out).
 */
export function loadSigningKeys(file: string): SigningKey[] {
  const text = readFileSync(file, "utf8");
  if (text.trimStart().startsWith("-----BEGIN")) {
    const key = createPrivateKey(text);
    return [{ key, alg: algOf(key) }];
  }
  const json = JSON.parse(text) as Json;
  const entries = Array.isArray(json.keys) ? (json.keys as Json[]) : [json];
  const keys = entries
    .filter((entry) => entry.status !== "retired")
    .map((entry) => {
      const jwk = (entry.privateJwk ?? entry) as Json;
      const key = createPrivateKey({ key: jwk as never, format: "jwk" });
      const kid = (entry.kid ?? jwk.kid) as string | undefined;
      return { key, alg: String(entry.alg ?? jwk.alg ?? algOf(key)), ...(kid ? { kid } : {}) };
    });
  if (keys.length === 0) throw new Error(`${file}: no usable private key`);
  return keys;
}

/** The key whose kid the server's own tokens name, or the only key given. */
export function pickSigningKey(keys: readonly SigningKey[], kid: unknown): SigningKey | undefined {
  return keys.find((key) => key.kid !== undefined && key.kid === kid) ?? (keys.length === 1 ? keys[0] : undefined);
}

/**
 * Other spellings of the same token that a lax base64url decoder reads as the
 * same bytes: `=` padding, an embedded space, and a last character that differs
 * only in the unused low bits. All in the signature segment.
 */
export function byteVariants(token: string): string[] {
  const [header, payload, signature] = decodeJwt(token).segments;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const original = Buffer.from(signature, "base64url");
  const lastChar = [...alphabet]
    .map((c) => signature.slice(0, -1) + c)
    .find((s) => s !== signature && Buffer.from(s, "base64url").equals(original));
  return [
    `${header}.${payload}.${signature}==`,
    `${header}.${payload}.${signature.slice(0, 20)} ${signature.slice(20)}`,
    ...(lastChar ? [`${header}.${payload}.${lastChar}`] : []),
  ];
}
