/**
 * Fitting label text into a given width. SVG neither breaks lines nor lets a static file
 * measure text, so widths are estimated from the advance widths of DejaVu Sans: it is the
 * widest of the fonts the charts ask for (and what Linux falls back to), so text that fits
 * by this estimate also fits in Segoe UI, Roboto, Helvetica or Arial.
 */

// DejaVu Sans advance widths of printable ASCII, space (U+0020) to tilde (U+007E), in 1/1000 em.
const ASCII_WIDTHS = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636,
  636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863,
  748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635,
  615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636,
  337, 636, 838,
];
const ELLIPSIS = "…";

function charEm(codePoint: number): number {
  // Control characters are dropped by the escaper, so they take no room.
  if (codePoint < 0x20) return 0;
  if (codePoint < 0x7f) return (ASCII_WIDTHS[codePoint - 0x20] ?? 1000) / 1000;
  // Accented letters are about as wide as capitals; CJK, symbols and emoji about an em or more.
  if (codePoint < 0x2e80) return 0.8;
  return codePoint < 0x10000 ? 1 : 1.2;
}

/** Estimated width in pixels of `text` set at `fontSize`, erring on the wide side. */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const char of text) em += charEm(char.codePointAt(0) ?? 0);
  return em * fontSize;
}

/** `text` unchanged when it fits `maxWidth`, else cut to fit with an ellipsis (keeping at least one character). */
export function fitWidth(text: string, maxWidth: number, fontSize: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  const room = maxWidth - textWidth(ELLIPSIS, fontSize);
  const chars = Array.from(text);
  let kept = chars[0] ?? "";
  let used = textWidth(kept, fontSize);
  for (const char of chars.slice(1)) {
    used += textWidth(char, fontSize);
    if (used > room) break;
    kept += char;
  }
  return `${kept.trimEnd()}${ELLIPSIS}`;
}

interface Piece {
  text: string;
  /** Whether a space separated this piece from the one before it. */
  spaced: boolean;
}

// A line may break at a space, after a comma (not one inside a number such as 1,000),
// after a slash, or after a hyphen between two letters.
const BREAK_AFTER = /(?<=,)(?!\d)|(?<=\/)|(?<=\p{L}-)(?=\p{L})/u;

function pieces(text: string): Piece[] {
  return text
    .split(/\s+/)
    .filter((word) => word !== "")
    .flatMap((word) =>
      word
        .split(BREAK_AFTER)
        .filter((part) => part !== "")
        .map((part, i) => ({ text: part, spaced: i === 0 })),
    );
}

function joinPieces(line: Piece[]): string {
  return line.map((piece, i) => (i > 0 && piece.spaced ? ` ${piece.text}` : piece.text)).join("");
}

/** The lines a label was broken into, and whether any of them lost text to an ellipsis. */
export interface Wrapped {
  lines: string[];
  cut: boolean;
}

/**
 * Breaks `text` into at most `maxLines` lines no wider than `maxWidth`, filling each line
 * before starting the next. Only a single word wider than a whole line, or the end of a
 * text that needs more than `maxLines`, is cut with an ellipsis.
 */
export function wrapText(text: string, maxWidth: number, fontSize: number, maxLines: number): Wrapped {
  const lines: Piece[][] = [];
  for (const piece of pieces(text)) {
    const line = lines[lines.length - 1];
    if (line !== undefined && textWidth(joinPieces([...line, piece]), fontSize) <= maxWidth) line.push(piece);
    else lines.push([piece]);
  }
  if (lines.length === 0) return { lines: [""], cut: false };
  const limit = Math.max(1, Math.floor(maxLines));
  const kept = lines.length > limit ? [...lines.slice(0, limit - 1), lines.slice(limit - 1).flat()] : lines;
  const full = kept.map(joinPieces);
  const shown = full.map((line) => fitWidth(line, maxWidth, fontSize));
  return { lines: shown, cut: shown.some((line, i) => line !== full[i]) };
}
