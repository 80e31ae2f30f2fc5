/** The Set-Cookie line for one cookie name, or undefined. */
export function setCookieFor(headers: Record<string, unknown>, name: string): string | undefined {
  const raw = headers["set-cookie"];
  const lines = Array.isArray(raw) ? (raw as string[]) : typeof raw === "string" ? [raw] : [];
  return lines.find((line) => line.startsWith(`${name}=`));
}

/** `name=value` of a Set-Cookie line, ready for a Cookie header. */
export const cookiePair = (setCookie: string): string => setCookie.split(";")[0] as string;

/** The session id inside an express-session cookie value `s:<id>.<sig>`. */
export function sessionIdOf(setCookie: string): string {
  const value = decodeURIComponent(cookiePair(setCookie).split("=")[1] as string);
  return value.slice(2, value.lastIndexOf("."));
}
