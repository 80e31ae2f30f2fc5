// Small DOM and formatting helpers shared by the dashboard's modules.
export const $ = (selector, root = document) => root.querySelector(selector);
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

export const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
export const seconds = (ms) => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);
