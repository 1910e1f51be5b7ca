// Pieces several views share: list payloads, a generic table, a labelled field.

import { h } from "../dom.js";

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
