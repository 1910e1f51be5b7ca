// Service halls (大厅预约): per hall and period, the bookings by what became of them (completed,
// still at the window, no-shows, cancelled), the no-show rate and the average wait from the
// ticket to the window's call (GET /ops/v1/halls/figures). Province-wide accounts only.

import { get, query } from "../api.js";
import { barChart } from "../charts.js";
import { clear, formatNumber, formValues, h, put } from "../dom.js";
import { t } from "../i18n.js";
import { SUPERSEDED, field, newestOnly, table } from "./common.js";

const percent = (rate) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);
const minutes = (seconds) => (seconds === null || seconds === undefined
  ? "—" : t("halls.minutes", { minutes: (seconds / 60).toFixed(1) }));

export async function render(main, ctx) {
  const form = h("form", { class: "card filters", id: "halls-form" },
    field(t("figures.from"), h("input", { type: "date", name: "from" })),
    field(t("figures.to"), h("input", { type: "date", name: "to" })),
    h("button", { type: "submit" }, t("figures.show")),
  );
  const tiles = h("div", { class: "kpis", id: "halls-kpis" });
  const chart = h("section", { class: "card chart-card", id: "halls-chart" });
  const rows = h("section", { class: "card", id: "halls-figures" });
  put(main, h("div", { class: "page-head" }, h("h1", {}, t("halls.title"))), form, tiles, chart, rows);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });

  const newest = newestOnly();

  async function load() {
    const values = formValues(form);
    let figures;
    try {
      // No period: the API's default (the last 30 days), shown back in the form.
      figures = await newest(get(`/ops/v1/halls/figures${query({ from: values.from, to: values.to })}`));
    } catch (err) {
      ctx.showError(err);
      return;
    }
    if (figures === SUPERSEDED) return;
    form.elements.from.value = figures.from;
    form.elements.to.value = figures.to;
    show(figures);
  }

  function show(figures) {
    const all = figures.overall;
    put(clear(tiles),
      tile("bookings", formatNumber(all.bookings)),
      tile("completed", formatNumber(all.completed)),
      tile("noShows", formatNumber(all.noShows), all.noShows ? "warn" : ""),
      tile("noShowRate", percent(all.noShowRate)),
      tile("averageWait", minutes(all.averageWaitS)),
    );
    const halls = figures.byHall;
    put(clear(chart), h("h2", {}, t("halls.chart")), barChart({
      label: t("halls.chart"),
      categories: halls.map((r) => r.hallName),
      series: ["completed", "arrived", "noShows", "cancelled"].map((k) => ({
        label: t(`halls.col.${k}`), values: halls.map((r) => r[k]),
      })),
    }));
    put(clear(rows), h("h2", {}, t("halls.rows", { from: figures.from, to: figures.to })),
      table("halls-table", [
        { label: t("halls.col.hall"), render: (r) => r.hallName },
        { label: t("halls.col.region"), render: (r) => r.regionName || "—" },
        ...["bookings", "completed", "arrived", "pending", "noShows", "cancelled", "called"].map((k) => ({
          label: t(`halls.col.${k}`), num: true, render: (r) => formatNumber(r[k]),
        })),
        { label: t("halls.col.noShowRate"), num: true, render: (r) => percent(r.noShowRate) },
        { label: t("halls.col.averageWait"), num: true, render: (r) => minutes(r.averageWaitS) },
      ], [...halls, all], (r) => ({ dataset: { hall: r.hallCode || "total" } })));
  }

  await load();
  return null;
}

function tile(key, value, tone) {
  return h("div", { class: `kpi ${tone || ""}`, dataset: { kpi: key } },
    h("span", { class: "kpi-label" }, t(`halls.kpi.${key}`)),
    h("span", { class: "kpi-value" }, value));
}
