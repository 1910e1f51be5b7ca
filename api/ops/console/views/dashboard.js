// The dashboard: the service figures at a glance, drawn as SVG charts. Every source is asked on
// its own; one that is absent (404) or not for this role (403) leaves its tiles and charts out.

import { get, optional, query } from "../api.js";
import { barChart, donutChart, hbarChart } from "../charts.js";
import { clear, formatFen, formatNumber, h } from "../dom.js";
import { t } from "../i18n.js";
import { items } from "./common.js";

const NOTICE_STATUSES = ["draft", "approved", "sending", "sent", "cancelled"];

export async function render(main, ctx) {
  const tiles = h("div", { class: "kpis", id: "kpis" });
  const charts = h("div", { class: "charts", id: "charts" });
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, t("dashboard.title")),
      h("button", { type: "button", class: "ghost", id: "dashboard-refresh", onclick: () => load() },
        t("refresh"))),
    tiles, charts,
  );

  async function load() {
    const has = (view) => ctx.features[view] !== false;
    const skip = Promise.resolve(null);
    let sources;
    try {
      sources = await Promise.all([
        get(`/ops/v1/notices${query({ limit: 50 })}`),
        has("tickets") ? optional("/ops/v1/reviews/figures") : skip,
        has("tickets") ? optional("/ops/v1/reviews/tickets") : skip,
        has("payments") ? optional("/ops/v1/payments/orders") : skip,
        has("payments") ? optional("/ops/v1/payments/mismatches") : skip,
        has("payments") ? optional("/ops/v1/payments/refunds") : skip,
        ["supervisor", "admin"].includes(ctx.staff.role) ? optional("/ops/v1/system/jobs/dead-letters") : skip,
      ]);
    } catch (err) {
      ctx.showError(err);
      return;
    }
    const [notices, reviewFigures, tickets, orders, mismatches, refunds, deadLetters] = sources;
    clear(tiles);
    clear(charts);
    noticeFigures(tiles, charts, notices);
    if (tickets !== null) ticketFigures(tiles, items(tickets));
    if (reviewFigures !== null) figureCharts(charts, reviewFigures, "reviews");
    if (orders !== null) orderFigures(tiles, charts, items(orders));
    if (mismatches !== null) {
      tiles.append(tile("mismatchesOpen", items(mismatches).filter((m) => m.status === "open").length, "warn"));
    }
    if (refunds !== null) {
      tiles.append(tile("refundsPending", items(refunds).filter((r) => r.status === "pending_approval").length));
    }
    if (deadLetters !== null) tiles.append(tile("deadLetters", items(deadLetters).length, "warn"));
  }

  await load();
  return null;
}

function tile(key, value, tone) {
  return h("div", { class: `kpi ${value && tone ? tone : ""}`, dataset: { kpi: key } },
    h("span", { class: "kpi-label" }, t(`dashboard.kpi.${key}`)),
    h("span", { class: "kpi-value" }, typeof value === "string" ? value : formatNumber(value)));
}

function card(title, ...content) {
  return h("section", { class: "card chart-card" }, h("h2", {}, title), content);
}

function noticeFigures(tiles, charts, notices) {
  const byStatus = Object.fromEntries(NOTICE_STATUSES.map((s) => [s, 0]));
  for (const n of notices) byStatus[n.status] = (byStatus[n.status] || 0) + 1;
  const sent = notices.reduce((sum, n) => sum + n.figures.sent, 0);
  const read = notices.reduce((sum, n) => sum + n.figures.read, 0);
  tiles.append(
    tile("noticesAwaiting", byStatus.draft, "warn"),
    tile("noticesRunning", byStatus.approved + byStatus.sending),
    tile("noticeMessages", sent),
    tile("noticeReadRate", sent ? `${Math.round((100 * read) / sent)}%` : "—"),
  );
  const recent = notices.filter((n) => n.status !== "draft" && n.status !== "cancelled").slice(0, 8).reverse();
  charts.append(card(t("dashboard.noticeReach"), recent.length
    ? barChart({
      label: t("dashboard.noticeReach"),
      categories: recent.map((n) => n.title),
      series: ["targeted", "sent", "read"].map((k) => ({
        label: t(`notices.col.${k}`), values: recent.map((n) => n.figures[k] || 0),
      })),
    })
    : h("p", { class: "empty" }, t("dashboard.noNoticesSent"))));
  if (notices.length) {
    charts.append(card(t("dashboard.noticeStatus"), donutChart({
      label: t("dashboard.noticeStatus"), totalLabel: t("dashboard.notices"),
      parts: NOTICE_STATUSES.map((s) => ({ label: t(`notice.status.${s}`), value: byStatus[s] })),
    })));
  }
}

function ticketFigures(tiles, tickets) {
  const unresolved = tickets.filter((r) => ["open", "contacted", "appealing"].includes(r.state));
  tiles.append(
    tile("ticketsOpen", unresolved.length),
    tile("ticketsLate", unresolved.filter((r) => r.flag === "late").length, "alarm"),
  );
}

function orderFigures(tiles, charts, orders) {
  const byStatus = {};
  for (const o of orders) byStatus[o.status] = (byStatus[o.status] || 0) + 1;
  const paid = orders.filter((o) => o.status === "paid" || o.status === "refunded")
    .reduce((sum, o) => sum + (o.amountFen || 0) - (o.refundedFen || 0), 0);
  tiles.append(tile("paidAmount", formatFen(paid)));
  if (orders.length) {
    charts.append(card(t("dashboard.orders"), donutChart({
      label: t("dashboard.orders"), totalLabel: t("dashboard.orderCount"),
      parts: Object.entries(byStatus).map(([s, n]) => ({ label: t(`order.${s}`, {}, s), value: n })),
    })));
  }
}

/**
 * Figures of a shape we only partly know: numbers become one horizontal bar chart, each nested
 * object of numbers another, each list of {label|key|name, count|value} another.
 */
export function figureCharts(charts, figures, prefix) {
  const label = (key) => t(`fig.${key}`, {}, key);
  const numbers = [];
  const nested = [];
  for (const [key, value] of Object.entries(figures || {})) {
    if (typeof value === "number") numbers.push({ label: label(key), value });
    else if (Array.isArray(value)) {
      const entries = value
        .filter((v) => v && typeof v === "object")
        .map((v) => ({
          label: String(v.label ?? v.name ?? v.itemName ?? v.departmentName ?? v.key ?? v.level ?? "?"),
          value: Number(v.count ?? v.value ?? v.total ?? 0),
        }));
      if (entries.length) nested.push([key, entries]);
    } else if (value && typeof value === "object") {
      const entries = Object.entries(value).filter(([, v]) => typeof v === "number")
        .map(([k, v]) => ({ label: label(k), value: v }));
      if (entries.length) nested.push([key, entries]);
    }
  }
  const title = t(`dashboard.${prefix}`);
  if (numbers.length) charts.append(card(title, hbarChart({ label: title, entries: numbers })));
  for (const [key, entries] of nested) {
    const sub = `${title} · ${label(key)}`;
    charts.append(card(sub, hbarChart({ label: sub, entries: entries.slice(0, 12) })));
  }
}
