// Tiny DOM helpers. Nothing here turns a string into HTML: the page runs under Trusted Types
// with no policy, so innerHTML and friends would throw anyway.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "text") {
      el.textContent = String(value);
    } else if (key in el && !(el instanceof SVGElement) && typeof value !== "string") {
      el[key] = value; // booleans and numbers as properties (checked, disabled, value…)
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** h("button", {class: "primary", onclick}, "text", …) */
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Append children as h() does: arrays flattened, null/undefined/false left out. */
export function put(el, ...children) {
  return fill(el, {}, children);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export const number = new Intl.NumberFormat("zh-CN");

export function formatNumber(value) {
  return value === null || value === undefined ? "—" : number.format(value);
}

const dateTime = new Intl.DateTimeFormat("zh-CN", {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  hour12: false,
});

export function formatTime(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTime.format(date);
}

/** Amounts are integers in fen. */
export function formatFen(fen) {
  if (fen === null || fen === undefined) return "—";
  return `¥${(fen / 100).toFixed(2)}`;
}

/** The form's fields as an object (FormData, trimmed strings). */
export function formValues(form) {
  const values = {};
  for (const [key, value] of new FormData(form).entries()) {
    values[key] = typeof value === "string" ? value.trim() : value;
  }
  return values;
}
