// 12345 hotline tickets (咨询投诉): the unreplied and overdue first, each ticket's timeline, and
// the figures by department (replies on time, overdue, satisfaction). Read only: the work on a
// ticket happens at 12345.

import { get, query } from "../api.js";
import { barChart } from "../charts.js";
import { clear, formatTime, formValues, h, put } from "../dom.js";
import { t } from "../i18n.js";
import { SUPERSEDED, field, items, newestOnly, table } from "./common.js";

const FLAGS = ["late", "due_soon", "none"];
const KINDS = ["consultation", "complaint", "suggestion"];
const percent = (rate) => (rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`);

export async function render(main, ctx) {
  const filters = { flag: "late", kind: "" };
  const figures = h("section", { class: "card", id: "hotline-figures" });
  const list = h("section", { class: "card", id: "hotline-tickets" });
  const detail = h("section", { class: "card", id: "hotline-detail", hidden: true });
  const select = (name, values, prefix) => {
    const el = h("select", { name, id: `hotline-${name}` }, h("option", { value: "" }, t("all")),
      values.map((v) => h("option", { value: v }, t(`${prefix}.${v}`, {}, v))));
    el.value = filters[name];
    el.addEventListener("change", () => { filters[name] = el.value; refresh(); });
    return el;
  };
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, t("hotline.title")),
      h("div", { class: "filters" },
        field(t("hotline.col.flag"), select("flag", FLAGS, "ticket.flag")),
        field(t("hotline.col.kind"), select("kind", KINDS, "hotline.kind")))),
    figures,
    list,
    detail,
  );

  async function refresh() {
    let rows;
    try {
      rows = items(await get(`/ops/v1/hotline/tickets${query({ ...filters, limit: 200 })}`));
    } catch (err) {
      ctx.showError(err);
      return;
    }
    clear(list).append(h("h2", {}, t("hotline.list")));
    if (!rows.length) {
      list.append(h("p", { class: "empty" }, t("hotline.none")));
      return;
    }
    list.append(table("hotline-table", [
      { label: t("hotline.col.title"), render: (r) => h("button", {
        type: "button", class: "link", onclick: () => open(r.id),
      }, r.title) },
      { label: t("hotline.col.kind"), render: (r) => r.kindLabel },
      { label: t("hotline.col.department"), render: (r) => r.departmentName || "—" },
      { label: t("hotline.col.state"), render: (r) => r.stateLabel },
      { label: t("hotline.col.flag"), render: (r) => flagBadge(r.flag) },
      { label: t("hotline.col.dueOn"), render: (r) => r.dueOn },
      { label: t("hotline.col.number"), render: (r) => r.ticketNumber || "—" },
    ], rows, (r) => ({ dataset: { ticketId: r.id, flag: r.flag } })));
  }

  async function open(id) {
    let ticket;
    try {
      ticket = await get(`/ops/v1/hotline/tickets/${id}`);
    } catch (err) {
      ctx.showError(err);
      return;
    }
    detail.hidden = false;
    put(clear(detail),
      h("h2", {}, t("hotline.detail")),
      h("dl", { class: "facts" },
        fact(t("hotline.col.title"), ticket.title),
        fact(t("hotline.col.kind"), ticket.kindLabel),
        fact(t("hotline.field.subject"), ticket.itemName),
        fact(t("hotline.col.department"), ticket.departmentName),
        fact(t("hotline.col.number"), ticket.ticketNumber),
        fact(t("hotline.col.dueOn"), ticket.dueOn),
        fact(t("hotline.col.flag"), t(`ticket.flag.${ticket.flag}`, {}, ticket.flag)),
        fact(t("hotline.field.rectification"), ticket.reviewTicketId),
        fact(t("hotline.field.reply"), ticket.reply),
        fact(t("hotline.field.satisfaction"), ticket.satisfactionLabel),
      ),
      h("blockquote", { class: "review-text" }, ticket.content),
      h("ol", { class: "timeline", id: "hotline-timeline" }, ticket.timeline.map((e) => h("li", {},
        h("time", {}, formatTime(e.at)), " ", e.label,
        e.departmentName ? t("pair", { key: "", value: e.departmentName }) : "",
        e.text ? t("pair", { key: "", value: e.text }) : ""))),
    );
  }

  // The figures' period (tickets filed in it); none: every ticket. A department-scoped account
  // gets its departments' figures only (the API cuts them).
  const period = h("form", { class: "filters", id: "hotline-period" },
    field(t("figures.from"), h("input", { type: "date", name: "from" })),
    field(t("figures.to"), h("input", { type: "date", name: "to" })),
    h("button", { type: "submit" }, t("figures.show")));
  period.addEventListener("submit", (event) => {
    event.preventDefault();
    loadFigures();
  });

  const newestFigures = newestOnly();

  async function loadFigures() {
    let body;
    try {
      const { from, to } = formValues(period);
      body = await newestFigures(get(`/ops/v1/hotline/figures${query({ from, to })}`));
    } catch (err) {
      ctx.showError(err);
      return;
    }
    if (body === SUPERSEDED) return;
    const rows = body.byDepartment;
    clear(figures).append(h("h2", {}, t("hotline.figures")), period);
    if (!rows.length) {
      figures.append(h("p", { class: "empty" }, t("hotline.noFigures")));
      return;
    }
    figures.append(
      barChart({
        label: t("hotline.figures"),
        categories: rows.map((r) => r.departmentName),
        series: ["complaints", "consultations", "suggestions", "overdue"].map((k) => ({
          label: t(`hotline.fig.${k}`), values: rows.map((r) => r[k]),
        })),
      }),
      table("hotline-figures-table", [
        { label: t("hotline.col.department"), render: (r) => r.departmentName },
        { label: t("hotline.fig.total"), key: "total", num: true },
        { label: t("hotline.fig.complaints"), key: "complaints", num: true },
        { label: t("hotline.fig.consultations"), key: "consultations", num: true },
        { label: t("hotline.fig.suggestions"), key: "suggestions", num: true },
        { label: t("hotline.fig.replied"), key: "replied", num: true },
        { label: t("hotline.fig.overdue"), key: "overdue", num: true },
        { label: t("hotline.fig.onTimeRate"), render: (r) => percent(r.onTimeRate), num: true },
        { label: t("hotline.fig.satisfactionRate"), render: (r) => percent(r.satisfactionRate), num: true },
      ], [...rows, body.overall], (r) => ({ dataset: { department: r.departmentCode } })),
    );
  }

  await Promise.all([loadFigures(), refresh()]);
  return null;
}

function flagBadge(flag) {
  if (!flag || flag === "none") return "—";
  return h("span", { class: `flag flag-${flag}` }, t(`ticket.flag.${flag}`, {}, flag));
}

function fact(label, value) {
  if (value === null || value === undefined || value === "") return null;
  return [h("dt", {}, label), h("dd", {}, String(value))];
}
