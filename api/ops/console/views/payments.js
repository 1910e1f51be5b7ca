// Payments (支付对账): reconciliation mismatches to resolve with a note, refunds waiting for a
// supervisor (not the requester), daily reconciliations, the latest orders. A part whose API
// is absent (404) or not for this role (403) hides itself.

import { optional, post } from "../api.js";
import { clear, formatFen, formatNumber, formatTime, h } from "../dom.js";
import { t } from "../i18n.js";
import { items, table } from "./common.js";

export async function render(main, ctx) {
  const mismatches = h("section", { class: "card", id: "mismatches" });
  const refunds = h("section", { class: "card", id: "refunds" });
  const orders = h("section", { class: "card", id: "orders" });
  const reconciliations = h("section", { class: "card", id: "reconciliations" });
  main.append(h("div", { class: "page-head" }, h("h1", {}, t("payments.title"))),
    mismatches, refunds, reconciliations, orders);

  async function act(path, body, done) {
    try {
      await post(path, body);
      ctx.flash(done, "ok");
    } catch (err) {
      ctx.showError(err);
    }
    await refresh();
  }

  async function refresh() {
    let m;
    let r;
    let o;
    let c;
    try {
      [m, r, o, c] = await Promise.all([
        optional("/ops/v1/payments/mismatches"),
        optional("/ops/v1/payments/refunds"),
        optional("/ops/v1/payments/orders"),
        optional("/ops/v1/payments/reconciliations"),
      ]);
    } catch (err) {
      ctx.showError(err);
      return;
    }
    renderMismatches(mismatches, m, ctx, act);
    renderRefunds(refunds, r, ctx, act);
    renderReconciliations(reconciliations, c);
    renderOrders(orders, o);
  }

  await refresh();
  return null;
}

function part(box, payload, title, empty) {
  box.hidden = payload === null;
  clear(box).append(h("h2", {}, title));
  const rows = items(payload);
  if (payload !== null && !rows.length) box.append(h("p", { class: "empty" }, empty));
  return rows;
}

const OPERATORS = ["operator", "supervisor", "admin"];
const SUPERVISORS = ["supervisor", "admin"];

function renderMismatches(box, payload, ctx, act) {
  const rows = part(box, payload, t("payments.mismatches"), t("payments.noMismatches"));
  if (!rows.length) return;
  box.append(table("mismatch-table", [
    { label: t("payments.col.billDate"), render: (r) => r.billDate || "—" },
    { label: t("payments.col.outTradeNo"), key: "outTradeNo" },
    { label: t("payments.col.kind"), render: (r) => t(`mismatch.${r.kind}`, {}, r.kind) },
    { label: t("payments.col.ours"), render: (r) => summary(r.ours) },
    { label: t("payments.col.theirs"), render: (r) => summary(r.theirs) },
    { label: t("payments.col.status"), render: (r) => h("span", { class: `status status-${r.status}` },
      t(`mismatch.status.${r.status}`, {}, r.status)) },
    { label: t("payments.col.actions"), render: (r) => {
      if (r.status !== "open") return r.note || "—";
      return OPERATORS.includes(ctx.staff.role) ? resolveForm(r, act) : "—";
    } },
  ], rows, (r) => ({ dataset: { mismatchId: r.id } })));
}

function summary(object) {
  if (!object) return "—";
  return Object.entries(object).map(([k, v]) =>
    t("pair", { key: t(`payments.field.${k}`, {}, k), value: /fen$/i.test(k) ? formatFen(v) : v })).join(t("sep.items"));
}

function resolveForm(row, act) {
  const note = h("input", { name: "note", required: true, minlength: 2, maxlength: 200,
    placeholder: t("payments.resolveNote"), "aria-label": t("payments.resolveNote") });
  const form = h("form", { class: "inline-form" }, note,
    h("button", { type: "submit", class: "primary small" }, t("payments.resolve")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(`/ops/v1/payments/mismatches/${row.id}/resolve`, { note: note.value.trim() }, t("payments.resolved"));
  });
  return form;
}

function renderRefunds(box, payload, ctx, act) {
  const rows = part(box, payload, t("payments.refunds"), t("payments.noRefunds"));
  if (!rows.length) return;
  box.append(table("refund-table", [
    { label: t("payments.col.outRefundNo"), key: "outRefundNo" },
    { label: t("payments.col.amount"), num: true, render: (r) => formatFen(r.amountFen) },
    { label: t("payments.col.reason"), key: "reason" },
    { label: t("payments.col.status"), render: (r) => t(`refund.${r.status}`, {}, r.status) },
    { label: t("payments.col.createdAt"), render: (r) => formatTime(r.createdAt) },
    { label: t("payments.col.actions"), render: (r) => {
      if (r.status !== "pending_approval" || !SUPERVISORS.includes(ctx.staff.role)) return "—";
      if (r.requestedBy === ctx.staff.id) return h("span", { class: "hint" }, t("payments.needsOther"));
      return h("div", { class: "actions" },
        h("button", { type: "button", class: "primary small", dataset: { action: "approve" },
          onclick: () => act(`/ops/v1/payments/refunds/${r.id}/approve`, { note: "" }, t("payments.approved")),
        }, t("payments.approve")),
        h("button", { type: "button", class: "ghost small", dataset: { action: "reject" },
          onclick: () => act(`/ops/v1/payments/refunds/${r.id}/reject`, { note: "" }, t("payments.rejected")),
        }, t("payments.reject")));
    } },
  ], rows, (r) => ({ dataset: { refundId: r.id } })));
}

function renderReconciliations(box, payload) {
  const rows = part(box, payload, t("payments.reconciliations"), t("payments.noReconciliations"));
  if (!rows.length) return;
  box.append(table("reconciliation-table", [
    { label: t("payments.col.billDate"), key: "billDate" },
    { label: t("payments.col.billRows"), num: true, render: (r) => formatNumber(r.billRows) },
    { label: t("payments.col.matched"), num: true, render: (r) => formatNumber(r.matched) },
    { label: t("payments.col.mismatches"), num: true, render: (r) => formatNumber(r.mismatches) },
    { label: t("payments.col.ranAt"), render: (r) => formatTime(r.ranAt) },
  ], rows.slice(0, 31)));
}

function renderOrders(box, payload) {
  const rows = part(box, payload, t("payments.orders"), t("payments.noOrders"));
  if (!rows.length) return;
  box.append(table("order-table", [
    { label: t("payments.col.outTradeNo"), key: "outTradeNo" },
    { label: t("payments.col.item"), key: "itemName" },
    { label: t("payments.col.amount"), num: true, render: (r) => formatFen(r.amountFen) },
    { label: t("payments.col.refunded"), num: true, render: (r) => formatFen(r.refundedFen) },
    { label: t("payments.col.status"), render: (r) => t(`order.${r.status}`, {}, r.status) },
    { label: t("payments.col.paidAt"), render: (r) => formatTime(r.paidAt) },
  ], rows));
}
