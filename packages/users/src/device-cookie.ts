import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import { usernameKey } from "./credentials-schema.js";

/** The cookie's name; browsers send it to /auth routes only. */
export const DEVICE_COOKIE = "sl_device";
/** A device that has not logged in for this long is a new device again. */
const MAX_AGE_SECONDS = 180 * 86_400;

export interface DeviceCookies {
  /** A new device cookie value for the account that just logged in. */
  issue(username: string): string;
  /** The device's id when `value` is a genuine, unexpired cookie of this account; null otherwise. */
  verify(value: string | undefined, username: string): string | null;
}

const VERSION = "d1";
const b64 = (buffer: Buffer) => buffer.toString("base64url");
/** The account, not its name: the cookie carries no username. */
const accountTag = (username: string) => b64(createHash("sha256").update(usernameKey(username)).digest()).slice(0, 22);

/**
 * OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"): a
 * login that succeeds gets a signed cookie naming that account and a random device id. A
 * later attempt for the same account that presents it is from a device that once knew the
 * password, so it is counted per device instead of against the account's lockout, and its
 * hash runs in the known-device lane, ahead of anonymous attempts. An attacker without the
 * password cannot get one for the account, so neither a lockout nor a flood of hashes
 * they cause can keep its owner out. It authenticates nothing else, and a server that
 * does not know the account issues nothing different (A3).
 */
export function createDeviceCookies(options: { secret: string }): DeviceCookies {
  if (options.secret.length < 32) throw new TypeError("createDeviceCookies: the secret must be at least 32 characters");
  const mac = (text: string) => createHmac("sha256", options.secret).update(text).digest();
  return {
    issue(username) {
      const body = `${VERSION}.${accountTag(username)}.${b64(randomBytes(16))}.${Math.floor(Date.now() / 1000)}`;
      return `${body}.${b64(mac(body))}`;
    },
    verify(value, username) {
      if (value === undefined || value.length > 200) return null;
      const parts = value.split(".");
      if (parts.length !== 5 || parts[0] !== VERSION) return null;
      const [, tag, id, issuedAt, signature = ""] = parts;
      const expected = mac(parts.slice(0, 4).join("."));
      const presented = Buffer.from(signature, "base64url");
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
      if (tag !== accountTag(username)) return null;
      if (!(Number(issuedAt) + MAX_AGE_SECONDS > Date.now() / 1000)) return null;
      return id ?? null;
    },
  };
}

/** The device cookie a login request carries, if any. */
export function presentedDevice(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === DEVICE_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Hands a logged-in client its device cookie: HttpOnly (no script reads it), SameSite=Strict
 * and Path=/auth (sent to the login, never cross-site), Secure over HTTPS. Not a credential:
 * it only changes how the next login attempt for this account is counted and queued.
 */
export function sendDeviceCookie(req: Request, res: Response, value: string): void {
  res.cookie(DEVICE_COOKIE, value, {
    httpOnly: true,
    sameSite: "strict",
    path: "/auth",
    secure: req.secure,
    maxAge: MAX_AGE_SECONDS * 1000,
  });
}
