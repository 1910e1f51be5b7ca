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
        has("notices") ? optional(`/ops/v1/notices${query({ limit: 50 })}`) : skip,
        has("tickets") ? optional("/ops/v1/reviews/figures") : skip,
        has("tickets") ? optional(`/ops/v1/reviews/tickets${query({ limit: 200 })}`) : skip,
        has("payments") ? optional("/ops/v1/payments/figures") : skip,
        has("payments") ? optional("/ops/v1/payments/reconciliations") : skip,
        ["supervisor", "admin"].includes(ctx.staff.role) ? optional("/ops/v1/system/jobs/dead-letters") : skip,
      ]);
    } catch (err) {
      ctx.showError(err);
      return;
    }
    const [notices, reviewFigures, tickets, payments, reconciliations, deadLetters] = sources;
    clear(tiles);
    clear(charts);
    if (notices !== null) noticeFigures(tiles, charts, notices);
    if (reviewFigures !== null) reviewCharts(tiles, charts, reviewFigures);
    else if (tickets !== null) ticketTiles(tiles, items(tickets));
    if (payments !== null) paymentFigures(tiles, charts, payments);
    if (reconciliations !== null) reconciliationChart(charts, items(reconciliations));
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

function card(id, title, ...content) {
  return h("section", { class: "card chart-card", id }, h("h2", {}, title), content);
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
  charts.append(card("chart-notice-reach", t("dashboard.noticeReach"), recent.length
    ? barChart({
      label: t("dashboard.noticeReach"),
      categories: recent.map((n) => n.title),
      series: ["targeted", "sent", "read"].map((k) => ({
        label: t(`notices.col.${k}`), values: recent.map((n) => n.figures[k] || 0),
      })),
    })
    : h("p", { class: "empty" }, t("dashboard.noNoticesSent"))));
  if (notices.length) {
    charts.append(card("chart-notice-status", t("dashboard.noticeStatus"), donutChart({
      label: t("dashboard.noticeStatus"), totalLabel: t("dashboard.notices"),
      parts: NOTICE_STATUSES.map((s) => ({ label: t(`notice.status.${s}`), value: byStatus[s] })),
    })));
  }
}

function ticketTiles(tiles, tickets) {
  const unresolved = tickets.filter((r) => ["open", "contacted", "appealing"].includes(r.state));
  tiles.append(
    tile("ticketsOpen", unresolved.length),
    tile("ticketsLate", unresolved.filter((r) => r.flag === "late").length, "alarm"),
  );
}

const percent = (rate) => (rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`);

/** Good/bad review figures (GB/T 39734): satisfaction by channel and department, tickets. */
function reviewCharts(tiles, charts, figures) {
  const tickets = figures.tickets;
  tiles.append(
    tile("goodRate", percent(figures.overall.goodRate)),
    tile("badReviews", figures.overall.badReviews, "warn"),
    tile("ticketsOpen", tickets.unresolved),
    tile("ticketsLate", tickets.late, "alarm"),
    tile("onTimeRate", percent(tickets.onTimeRate)),
  );
  const grouped = (id, title, rows) => {
    if (!rows.length) return;
    charts.append(card(id, title, barChart({
      label: title,
      categories: rows.map((r) => r.name || r.key),
      series: [
        { label: t("dashboard.ratings"), values: rows.map((r) => r.count) },
        { label: t("dashboard.badReviews"), values: rows.map((r) => r.badReviews) },
      ],
    })));
  };
  grouped("chart-reviews-channel", t("dashboard.reviewsByChannel"), figures.byChannel);
  grouped("chart-reviews-department", t("dashboard.reviewsByDepartment"), figures.byDepartment.slice(0, 8));
  const ticketTitle = t("dashboard.tickets");
  charts.append(card("chart-tickets", ticketTitle, hbarChart({
    label: ticketTitle,
    entries: ["unresolved", "dueSoon", "late", "resolved", "resolvedOnTime", "appealsUpheld"]
      .map((k) => ({ label: t(`dashboard.ticket.${k}`), value: tickets[k] })),
  })));
}

// Totals computed by the server (GET /ops/v1/payments/figures), not from a page of a list.
function paymentFigures(tiles, charts, figures) {
  tiles.append(
    tile("paidAmount", formatFen(figures.paidFen - figures.refundedFen)),
    tile("mismatchesOpen", figures.mismatchesOpen, "warn"),
    tile("refundsPending", figures.refundsPending),
  );
  const parts = Object.entries(figures.ordersByStatus)
    .map(([s, n]) => ({ label: t(`order.${s}`, {}, s), value: n }));
  if (parts.length) {
    charts.append(card("chart-orders", t("dashboard.orders"), donutChart({
      label: t("dashboard.orders"), totalLabel: t("dashboard.orderCount"), parts,
    })));
  }
}

function reconciliationChart(charts, days) {
  const recent = [...days].sort((a, b) => String(a.billDate).localeCompare(String(b.billDate))).slice(-14);
  if (!recent.length) return;
  const title = t("dashboard.reconciliations");
  charts.append(card("chart-reconciliations", title, barChart({
    label: title,
    categories: recent.map((d) => String(d.billDate).slice(5)),
    series: [
      { label: t("payments.col.matched"), values: recent.map((d) => d.matched) },
      { label: t("payments.col.mismatches"), values: recent.map((d) => d.mismatches) },
    ],
  })));
}
