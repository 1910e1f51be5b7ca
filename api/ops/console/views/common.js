// Pieces several views share: list payloads, a generic table, a labelled field.

import { h } from "../dom.js";

/** What a superseded call of a `newestOnly` loader answers. */
export const SUPERSEDED = Symbol("superseded");

/**
 * Answers used only while their call is the newest: a view's first load still on its way
 * when a filter is submitted must not paint its older answer over the newer one, nor put the
 * default period back into the form the person just filled. `const newest = newestOnly();`
 * then `const body = await newest(get(url)); if (body === SUPERSEDED) return;` — the error of
 * a superseded call is dropped as well.
 */
export function newestOnly() {
  let newest = 0;
  return async (pending) => {
    const mine = ++newest;
    try {
      const answer = await pending;
      return mine === newest ? answer : SUPERSEDED;
    } catch (err) {
      if (mine !== newest) return SUPERSEDED;
      throw err;
    }
  };
}

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
