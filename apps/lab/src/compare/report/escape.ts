/**
 * Escaping for every string that comes from results data. XML and HTML share one
 * escaper because the SVG is inlined into the HTML and must be valid in both.
 */

// Characters XML 1.0 forbids outright: one of them makes the whole SVG file unparseable.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here.
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for XML/HTML content and attribute values; drops characters XML cannot carry. */
export function escapeXml(text: string): string {
  return text.replace(XML_FORBIDDEN, "").replace(/[&<>"']/g, (char) => XML_ENTITIES[char] ?? char);
}

/**
 * Escapes text for inline markdown (including table cells): markdown punctuation gets a
 * backslash, `<`, `>` and `&` become entities so raw HTML in data is shown, never rendered,
 * and line breaks are folded because a newline ends a table row.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(XML_FORBIDDEN, "")
    .replace(/\r\n?|\n/g, " ")
    .replace(/[\\`*_[\]|#]/g, (char) => `\\${char}`)
    .replace(/[&<>]/g, (char) => XML_ENTITIES[char] ?? char);
}

/** Shortens `text` to at most `maxChars` code points, ending with an ellipsis when cut. */
export function truncate(text: string, maxChars: number): string {
  const chars = Array.from(text);
  if (chars.length <= maxChars) return text;
  return `${chars
    .slice(0, Math.max(1, maxChars - 1))
    .join("")
    .trimEnd()}…`;
}

/** Turns any string into a safe id/file-name fragment: ASCII letters, digits, `-` and `_` only. */
export function slug(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  return cleaned === "" ? "x" : cleaned;
}
