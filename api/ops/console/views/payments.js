// Payments (支付对账): reconciliation mismatches to resolve with a note, refunds waiting for a
// second person's approval, and the latest orders. A part whose API is absent hides itself.

import { optional, post } from "../api.js";
import { clear, formatFen, formatTime, h } from "../dom.js";
import { t } from "../i18n.js";
import { items, table } from "./common.js";

export async function render(main, ctx) {
  const mismatches = h("section", { class: "card", id: "mismatches" });
  const refunds = h("section", { class: "card", id: "refunds" });
  const orders = h("section", { class: "card", id: "orders" });
  main.append(h("div", { class: "page-head" }, h("h1", {}, t("payments.title"))),
    mismatches, refunds, orders);

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
    try {
      [m, r, o] = await Promise.all([
        optional("/ops/v1/payments/mismatches"),
        optional("/ops/v1/payments/refunds"),
        optional("/ops/v1/payments/orders"),
      ]);
    } catch (err) {
      ctx.showError(err);
      return;
    }
    renderMismatches(mismatches, m, act);
    renderRefunds(refunds, r, ctx, act);
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

function renderMismatches(box, payload, act) {
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
    { label: t("payments.col.actions"), render: (r) => (r.status === "open" ? resolveForm(r, act) : r.note || "—") },
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
      if (r.status !== "pending_approval") return "—";
      if (r.requestedBy === ctx.staff.id) return h("span", { class: "hint" }, t("payments.needsOther"));
      return h("button", { type: "button", class: "primary small",
        onclick: () => act(`/ops/v1/payments/refunds/${r.id}/approve`, { note: "" }, t("payments.approved")),
      }, t("payments.approve"));
    } },
  ], rows, (r) => ({ dataset: { refundId: r.id } })));
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
