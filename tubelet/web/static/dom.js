// Small DOM helpers: library data only ever reaches the page as textContent or attribute values, never as HTML.
export function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export function clock(t) {
  const m = Math.floor(t / 60), s = (t - 60 * m).toFixed(2).padStart(5, '0');
  return `${m}:${s}`;
}

export function percent(score, digits) {
  return `${(100 * score).toFixed(digits)}%`;
}

export async function api(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error((await r.json()).detail || r.status);
  return r.json();
}
