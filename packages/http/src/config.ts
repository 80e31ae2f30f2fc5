import { isIP } from "node:net";
import { z } from "zod";

/** `10.0.0.5`, `::1`, `10.0.0.0/24`, `fd00::/8`: one address or one CIDR range. */
function isAddressOrRange(text: string): boolean {
  const [address = "", prefix, ...rest] = text.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

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
  /**
   * Express's `trust proxy`, restricted to what cannot be spoofed: unset or "false" → off;
   * otherwise the exact addresses (or CIDR ranges) of the proxy hops allowed to say who the
   * client is in X-Forwarded-For. "true", hop counts and express's named ranges
   * ("loopback", "uniquelocal") are refused: they also trust a client that connects
   * directly from such an address and writes the header itself.
   */
  trustProxy: () =>
    z
      .string()
      .optional()
      .transform((value, ctx): false | string => {
        if (value === undefined || value === "false") return false;
        const hops = value.split(",").map((hop) => hop.trim());
        const bad = hops.filter((hop) => !isAddressOrRange(hop));
        if (bad.length > 0) {
          ctx.addIssue({
            code: "custom",
            message: `must be "false" or the proxy's own addresses/CIDRs, comma-separated (not ${bad.map((hop) => JSON.stringify(hop)).join(", ")}): a client-chosen X-Forwarded-For must never pass`,
          });
          return z.NEVER;
        }
        return hops.join(",");
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

/**
 * The only code that turns config and start-up failures into an exit: a bad
 * env value prints one line and exits 1, before anything connects.
 */
export function runMain<C>(name: string, load: () => C, main: (config: C) => Promise<void>): void {
  let config: C;
  try {
    config = load();
  } catch (error) {
    console.error(error instanceof ConfigError ? `${name}: ${error.message}` : error);
    process.exit(1);
  }
  main(config).catch((error: unknown) => {
    console.error(`${name}: failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
