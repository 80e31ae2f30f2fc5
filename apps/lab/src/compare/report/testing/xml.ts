/**
 * A small XML well-formedness checker for tests: tags closed in order, one root element,
 * quoted attributes without duplicates, `&` only as an entity, no stray `<`.
 * Returns the problems found (empty when well-formed).
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const token =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|</y;
  let match: RegExpExecArray | null = token.exec(xml);
  while (match !== null) {
    const [whole, closing, opening, attrs = "", selfClosing, textRun] = match;
    if (closing !== undefined) {
      const open = stack.pop();
      if (open !== closing) problems.push(`</${closing}> closes <${open ?? "nothing"}>`);
    } else if (opening !== undefined) {
      if (stack.length === 0) roots += 1;
      if (stack.length === 0 && roots > 1) problems.push(`second root element <${opening}>`);
      problems.push(...attributeProblems(opening, attrs));
      if (selfClosing !== "/") stack.push(opening);
    } else if (textRun !== undefined) {
      if (stack.length === 0 && textRun.trim() !== "") problems.push(`text outside the root: ${textRun.slice(0, 40)}`);
      problems.push(...entityProblems(textRun));
    } else if (whole === "<") {
      problems.push(`stray "<" at ${token.lastIndex - 1}: ${xml.slice(token.lastIndex - 1, token.lastIndex + 40)}`);
    }
    match = token.lastIndex < xml.length ? token.exec(xml) : null;
  }
  if (token.lastIndex < xml.length && problems.length === 0) problems.push(`unparsed rest at ${token.lastIndex}`);
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(" > ")}`);
  if (roots === 0) problems.push("no root element");
  return problems;
}

function attributeProblems(tag: string, attrs: string): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [, name = "", value = ""] of attrs.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    if (names.has(name)) problems.push(`<${tag}> repeats attribute ${name}`);
    names.add(name);
    if (value.includes("<")) problems.push(`<${tag} ${name}> holds a raw "<"`);
    problems.push(...entityProblems(value));
  }
  return problems;
}

function entityProblems(text: string): string[] {
  const bad = text.match(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);)[^\s]{0,10}/g) ?? [];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters, so the checker looks for them.
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(text) ? ["a control character XML forbids"] : [];
  return [...bad.map((entity) => `bare ampersand: ${entity}`), ...control];
}
