import { z } from "zod";

/** Thrown by loadConfig; the message names every bad variable on one line. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Builders for env var schemas: each parses the raw string and carries the default. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
    z.enum(values).default(fallback as never),
  string: (fallback: string) => z.string().min(1).default(fallback),
  optionalString: () => z.string().min(1).optional(),
  url: (protocols: readonly string[]) =>
    z.string().refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), {
      message: `must be a ${protocols.join(" or ")}// URL`,
    }),
  bool: (fallback: boolean) =>
    z
      .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
      .default(fallback ? "true" : "false")
      .transform((value) => ["1", "true", "yes", "on"].includes(value)),
};

/** Variables whose values are never printed: secrets, and URLs that may embed a password. */
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|KEY|URL/;

/**
 * Parses the env vars named by `shape` once. Empty strings count as unset.
 * Throws one ConfigError naming every bad variable; returns a frozen object.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  source: NodeJS.ProcessEnv = process.env,
): Readonly<z.output<z.ZodObject<S>>> {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = source[key];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const result = z.object(shape).safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "?");
      // Echo the value to help a typo, except where it may carry a credential.
      const shown = SECRET_NAME.test(name) ? "(hidden)" : JSON.stringify(source[name] ?? "");
      return `${name}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return Object.freeze(result.data);
}
