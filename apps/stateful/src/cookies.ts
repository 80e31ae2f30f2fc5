import { timingSafeEqual } from "node:crypto";
import signature from "cookie-signature";

/** The value of one cookie from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** The session id inside an express-session cookie (`s:<id>.<sig>`), if the signature is ours. */
export function unsignSessionCookie(value: string | undefined, secret: string): string | null {
  if (!value?.startsWith("s:")) return null;
  const sid = signature.unsign(value.slice(2), secret);
  return sid === false ? null : sid;
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
