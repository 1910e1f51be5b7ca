// 一件事 bundles: per bundle, applications and finished ones, and of the finished the mean time
// end to end against the mean of the members' own times added up (what the same items would
// take one after the other). Read only.

import { get } from "../api.js";
import { barChart } from "../charts.js";
import { clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { table } from "./common.js";

const hours = (value) => (value === null || value === undefined ? "—" : t("bundles.hours", { n: value }));

export async function render(main, ctx) {
  const figures = h("section", { class: "card", id: "bundle-figures" });
  main.append(h("div", { class: "page-head" }, h("h1", {}, t("bundles.title"))), figures);
  let body;
  try {
    body = await get("/ops/v1/bundles/figures");
  } catch (err) {
    ctx.showError(err);
    return null;
  }
  const rows = body.bundles;
  clear(figures).append(h("h2", {}, t("bundles.figures")));
  if (!rows.length) {
    figures.append(h("p", { class: "empty" }, t("bundles.none")));
    return null;
  }
  figures.append(
    barChart({
      label: t("bundles.chart"),
      categories: rows.map((r) => r.bundleName),
      series: [
        { label: t("bundles.col.endToEnd"), values: rows.map((r) => r.meanEndToEndHours || 0) },
        { label: t("bundles.col.membersSum"), values: rows.map((r) => r.meanMembersSumHours || 0) },
      ],
    }),
    table("bundle-figures-table", [
      { label: t("bundles.col.name"), key: "bundleName" },
      { label: t("bundles.col.applications"), key: "applications", num: true },
      { label: t("bundles.col.finished"), key: "finished", num: true },
      { label: t("bundles.col.endToEnd"), render: (r) => hours(r.meanEndToEndHours), num: true },
      { label: t("bundles.col.membersSum"), render: (r) => hours(r.meanMembersSumHours), num: true },
    ], rows, (r) => ({ dataset: { bundle: r.bundleCode } })),
  );
  return null;
}
