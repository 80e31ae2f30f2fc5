import { z } from "zod";

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
/** Bytes, not characters: 128 four-byte characters is the most a valid password can weigh. */
export const PASSWORD_MAX_BYTES = PASSWORD_MAX * 4;

/**
 * The comparison key of a username (RFC 8265's UsernameCaseMapped, roughly):
 * NFKC folds width and compatibility forms (Ａ → A), lower-casing folds case,
 * and a final NFC keeps the result stable, so normalising twice changes nothing.
 */
export function usernameKey(username: string): string {
  return username.normalize("NFKC").toLowerCase().normalize("NFC");
}

/** Letters, marks, digits, `.`, `_`, `-`: no spaces, no control, format or bidi characters. */
const USERNAME_CHARS = /^[\p{L}\p{M}\p{N}._-]+$/u;

const codePoints = (value: string) => [...value].length;

export const usernameSchema = z
  .string()
  .transform((value) => value.normalize("NFKC"))
  .refine((value) => codePoints(value) >= USERNAME_MIN && codePoints(value) <= USERNAME_MAX, {
    message: `must be ${USERNAME_MIN} to ${USERNAME_MAX} characters`,
  })
  .refine((value) => USERNAME_CHARS.test(value), {
    message: "may contain only letters, digits, '.', '_' and '-'",
  });

/**
 * Any characters, never trimmed or truncated; 8 to 128 characters (code
 * points). The byte cap stops a huge password before it reaches argon2.
 */
export const passwordSchema = z
  .string()
  .refine((value) => Buffer.byteLength(value) <= PASSWORD_MAX_BYTES, { message: "is too long" })
  .refine((value) => codePoints(value) >= PASSWORD_MIN && codePoints(value) <= PASSWORD_MAX, {
    message: `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
  });

/** Body of POST /auth/signup and /auth/login in both backends. */
export const credentialsSchema = z.strictObject({ username: usernameSchema, password: passwordSchema });

/** Login checks only the shape: a rule change must not lock out an existing account. */
export const loginSchema = z.strictObject({
  username: z
    .string()
    .min(1)
    .max(USERNAME_MAX * 4)
    // Postgres text cannot hold NUL: without this the lookup fails with a 500 (found by `statelab check`).
    .refine((value) => !value.includes("\u0000"), "may not contain NUL"),
  password: z
    .string()
    .min(1)
    .refine((value) => Buffer.byteLength(value) <= PASSWORD_MAX_BYTES, "is too long"),
});

export const displayNameSchema = z
  .string()
  .transform((value) => value.normalize("NFC").trim())
  .refine((value) => value.length >= 1 && codePoints(value) <= 64, { message: "must be 1 to 64 characters" })
  .refine((value) => !/[\p{Cc}\p{Cf}]/u.test(value), { message: "may not contain control or format characters" });

export type Credentials = z.output<typeof credentialsSchema>;
