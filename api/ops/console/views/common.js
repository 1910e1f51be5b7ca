// Pieces several views share: a generic table, a fact list, a labelled field.

import { clear, formatTime, h } from "../dom.js";
import { t } from "../i18n.js";

/** Lists arrive bare or as {items: […]} pages. */
export function items(payload) {
  if (Array.isArray(payload)) return payload;
  if (payload && Array.isArray(payload.items)) return payload.items;
  return [];
}

export function field(label, input, extra) {
  return h("label", { class: `field ${extra || ""}` }, h("span", {}, label), input);
}

/** columns: [{key, label, render?(row), num?}] */
export function table(id, columns, rows, rowAttrs) {
  return h("div", { class: "table-wrap" }, h("table", { id },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
    h("tbody", {}, rows.map((row) => h("tr", rowAttrs ? rowAttrs(row) : {},
      columns.map((c) => h("td", { class: c.num ? "num" : "" },
        c.render ? c.render(row) : row[c.key] ?? "—")))))));
}

/** A definition list of the fields of an object we know less well than we would like. */
export function facts(object, prefix, skip = []) {
  const list = h("dl", { class: "facts" });
  for (const [key, value] of Object.entries(object || {})) {
    if (skip.includes(key) || value === null || value === undefined || value === "") continue;
    if (typeof value === "object" && !Array.isArray(value)) continue;
    let text = Array.isArray(value) ? value.join("、") : value;
    if (typeof value === "boolean") text = value ? t("yes") : t("no");
    if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) text = formatTime(value);
    list.append(h("dt", {}, t(`${prefix}.${key}`, {}, key)), h("dd", {}, String(text)));
  }
  return list;
}

export function section(id, title) {
  const box = h("section", { class: "card", id, "aria-label": title });
  return { box, reset: () => clear(box).append(h("h2", {}, title)) };
}
