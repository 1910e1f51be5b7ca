// Service figures (办件数据): applications, online handling, working days against the promised
// limits, overdue, supplements, satisfaction and payments per item, department, region, channel
// or period, from the daily rollup (GET /ops/v1/figures/service); push reach per channel; the
// same figures as CSV.

import { get, query, session } from "../api.js";
import { barChart, hbarChart } from "../charts.js";
import { clear, formatNumber, formValues, h, put } from "../dom.js";
import { t } from "../i18n.js";
import { SUPERSEDED, field, newestOnly, table } from "./common.js";

const BY = ["department", "item", "region", "channel", "day", "week", "month"];
const CHANNELS = ["", "miniprogram", "app", "hall"];

const percent = (rate) => (rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`);
const days = (value) => (value === null || value === undefined ? "—" : t("figures.days", { days: value }));

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

export async function render(main, ctx) {
  const today = new Date();
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 2, 1));
  const form = h("form", { class: "card filters", id: "figures-form" },
    field(t("figures.from"), h("input", { type: "date", name: "from", value: isoDay(first), required: true })),
    field(t("figures.to"), h("input", { type: "date", name: "to", value: isoDay(today), required: true })),
    field(t("figures.by"), h("select", { name: "by" },
      BY.map((by) => h("option", { value: by }, t(`figures.by.${by}`))))),
    field(t("figures.department"), h("input", { type: "text", name: "department", maxlength: 64 })),
    field(t("figures.channel"), h("select", { name: "channel" },
      CHANNELS.map((c) => h("option", { value: c }, t(`figures.channel.${c || "all"}`))))),
    h("button", { type: "submit" }, t("figures.show")),
    h("button", { type: "button", class: "ghost", id: "figures-csv", onclick: () => csv() }, t("figures.csv")),
  );
  const tiles = h("div", { class: "kpis", id: "figures-kpis" });
  const charts = h("div", { class: "charts", id: "figures-charts" });
  const rows = h("section", { class: "card", id: "figures-rows" });
  put(main, h("div", { class: "page-head" }, h("h1", {}, t("figures.title"))), form, tiles, charts, rows);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });

  function params() {
    const values = formValues(form);
    return {
      from: values.from, to: values.to, by: values.by,
      department: values.department.trim(), channel: values.channel,
    };
  }

  const newest = newestOnly();

  async function load() {
    let figures;
    try {
      figures = await newest(get(`/ops/v1/figures/service${query(params())}`));
    } catch (err) {
      ctx.showError(err);
      return;
    }
    if (figures === SUPERSEDED) return;
    show(figures);
  }

  // The CSV is the same answer; fetched with the session (a link would carry no token).
  async function csv() {
    const p = params();
    const response = await fetch(`/ops/v1/figures/service${query({ ...p, format: "csv" })}`, {
      headers: { Authorization: `Bearer ${session.token}`, Accept: "text/csv" },
      credentials: "omit",
      cache: "no-store",
    });
    if (!response.ok) {
      ctx.flash(t("figures.csvFailed"), "error");
      return;
    }
    const link = h("a", {
      href: URL.createObjectURL(await response.blob()),
      download: `service-figures-${p.from}-${p.to}-${p.by}.csv`,
    });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function show(figures) {
    const total = figures.total;
    put(clear(tiles),
      tile("applications", formatNumber(total.applications)),
      tile("completed", formatNumber(total.completed)),
      tile("onlineRate", percent(total.onlineRate)),
      tile("completionDays", `${days(total.completionMedianDays)} / ${days(total.promisedMedianDays)}`),
      tile("inTimeRate", percent(total.inTimeRate)),
      tile("overdueRate", percent(total.overdueRate), total.overdue ? "alarm" : ""),
      tile("supplementRate", percent(total.supplementRate)),
      tile("repeatSupplementRate", percent(total.repeatSupplementRate), total.repeatSupplemented ? "warn" : ""),
      tile("tolerated", formatNumber(total.tolerated)),
      tile("refused", formatNumber(total.refused + total.notAccepted)),
      tile("goodRate", percent(total.goodRate)),
      tile("rectifiedRate", percent(total.rectifiedRate)),
      tile("paymentSuccessRate", percent(total.paymentSuccessRate)),
    );
    const keys = figures.rows.map((r) => label(figures.by, r.key));
    clear(charts);
    if (figures.rows.length) {
      charts.append(
        card("chart-figures-volume", t("figures.chart.volume"), barChart({
          label: t("figures.chart.volume"),
          categories: keys,
          series: ["applications", "completed", "completedOnline"].map((k) => ({
            label: t(`figures.col.${k}`), values: figures.rows.map((r) => r[k]),
          })),
        })),
        card("chart-figures-rates", t("figures.chart.rates"), barChart({
          label: t("figures.chart.rates"),
          categories: keys,
          series: ["onlineRate", "inTimeRate", "overdueRate", "goodRate"].map((k) => ({
            label: t(`figures.col.${k}`), values: figures.rows.map((r) => Math.round((r[k] || 0) * 100)),
          })),
        })),
      );
    }
    charts.append(card("chart-figures-days", t("figures.chart.days"), hbarChart({
      label: t("figures.chart.days"),
      entries: ["acceptanceMedianDays", "acceptanceP90Days", "completionMedianDays",
        "completionP90Days", "promisedMedianDays", "promisedP90Days"]
        .map((k) => ({ label: t(`figures.col.${k}`), value: total[k] || 0 })),
    })));
    if (figures.pushReach.length) {
      charts.append(card("chart-figures-push", t("figures.chart.push"), barChart({
        label: t("figures.chart.push"),
        categories: figures.pushReach.map((r) => t(`figures.push.${r.channel}`)),
        series: ["sent", "delivered", "read", "failed", "quotaMisses"].map((k) => ({
          label: t(`figures.push.col.${k}`), values: figures.pushReach.map((r) => r[k]),
        })),
      })));
    }
    put(clear(rows), h("h2", {}, t("figures.rows")), table("figures-table", [
      { label: t(`figures.by.${figures.by}`), render: (r) => (r.key === "total" ? t("figures.total") : label(figures.by, r.key)) },
      { label: t("figures.col.applications"), num: true, render: (r) => formatNumber(r.applications) },
      { label: t("figures.col.completed"), num: true, render: (r) => formatNumber(r.completed) },
      { label: t("figures.col.onlineRate"), num: true, render: (r) => percent(r.onlineRate) },
      { label: t("figures.col.completionMedianDays"), num: true, render: (r) => days(r.completionMedianDays) },
      { label: t("figures.col.promisedMedianDays"), num: true, render: (r) => days(r.promisedMedianDays) },
      { label: t("figures.col.overdueRate"), num: true, render: (r) => percent(r.overdueRate) },
      { label: t("figures.col.supplementRate"), num: true, render: (r) => percent(r.supplementRate) },
      { label: t("figures.col.goodRate"), num: true, render: (r) => percent(r.goodRate) },
      { label: t("figures.col.paymentSuccessRate"), num: true, render: (r) => percent(r.paymentSuccessRate) },
    ], [...figures.rows, total]));
  }

  await load();
  return null;
}

function label(by, key) {
  if (by === "channel") return t(`figures.channel.${key}`);
  return key || "—";
}

function tile(key, value, tone) {
  return h("div", { class: `kpi ${tone || ""}`, dataset: { kpi: key } },
    h("span", { class: "kpi-label" }, t(`figures.kpi.${key}`)),
    h("span", { class: "kpi-value" }, value));
}

function card(id, title, ...content) {
  return h("section", { class: "card chart-card", id }, h("h2", {}, title), content);
}
