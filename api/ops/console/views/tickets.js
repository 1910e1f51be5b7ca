// Bad-review tickets (差评整改): verify and rectify within 3 working days, call the citizen back,
// resolve with an outcome, close. Filters by state and deadline flag.

import { get, post, query } from "../api.js";
import { clear, formValues, formatTime, h, put } from "../dom.js";
import { t } from "../i18n.js";
import { SUPERSEDED, field, items, newestOnly, table } from "./common.js";

const STATES = ["open", "contacted", "appealing", "rectified", "explained", "closed"];
const FLAGS = ["due_soon", "late", "none"];
const OUTCOMES = ["rectified", "explained"];

export async function render(main, ctx) {
  const filters = { state: "", flag: "" };
  const list = h("section", { class: "card", id: "tickets" });
  const detail = h("section", { class: "card", id: "ticket-detail", hidden: true });
  const select = (name, values, prefix) => {
    const el = h("select", { name, id: `ticket-${name}` }, h("option", { value: "" }, t("all")),
      values.map((v) => h("option", { value: v }, t(`${prefix}.${v}`, {}, v))));
    el.addEventListener("change", () => { filters[name] = el.value; refresh(); });
    return el;
  };
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, t("tickets.title")),
      h("div", { class: "filters" },
        field(t("tickets.col.state"), select("state", STATES, "ticket.state")),
        field(t("tickets.col.flag"), select("flag", FLAGS, "ticket.flag")))),
    list,
    detail,
  );

  const newest = newestOnly();

  async function refresh() {
    let answer;
    try {
      answer = await newest(get(`/ops/v1/reviews/tickets${query({ ...filters, limit: 200 })}`));
    } catch (err) {
      ctx.showError(err);
      return;
    }
    if (answer === SUPERSEDED) return;
    const rows = items(answer);
    clear(list).append(h("h2", {}, t("tickets.list")));
    if (!rows.length) {
      list.append(h("p", { class: "empty" }, t("tickets.none")));
      return;
    }
    list.append(table("ticket-table", [
      { label: t("tickets.col.item"), render: (r) => h("button", {
        type: "button", class: "link", onclick: () => open(r.id),
      }, r.itemName || r.id.slice(0, 8)) },
      { label: t("tickets.col.level"), render: (r) => (r.level ? t(`level.${r.level}`, {}, r.level) : "—") },
      { label: t("tickets.col.state"), render: (r) => stateBadge(r.state) },
      { label: t("tickets.col.flag"), render: (r) => flagBadge(r.flag) },
      { label: t("tickets.col.dueOn"), render: (r) => due(r) },
      { label: t("tickets.col.createdAt"), render: (r) => formatTime(r.createdAt) },
    ], rows, (r) => ({ dataset: { ticketId: r.id, state: r.state } })));
  }

  async function open(id) {
    let ticket;
    try {
      ticket = await get(`/ops/v1/reviews/tickets/${id}`);
    } catch (err) {
      ctx.showError(err);
      return;
    }
    renderDetail(detail, ticket, ctx, async (path, body, done) => {
      try {
        await post(`/ops/v1/reviews/tickets/${id}/${path}`, body);
        ctx.flash(done, "ok");
      } catch (err) {
        ctx.showError(err);
      }
      await refresh();
      await open(id);
    });
  }

  await refresh();
  return null;
}

function stateBadge(state) {
  return h("span", { class: `status status-${state}` }, t(`ticket.state.${state}`, {}, state));
}

function flagBadge(flag) {
  if (!flag || flag === "none") return "—";
  return h("span", { class: `flag flag-${flag}` }, t(`ticket.flag.${flag}`, {}, flag));
}

const WORK = ["operator", "admin"];

// The whole number, for the call back only: asked for explicitly, and audited by the API.
function callNumber(ticket, role, ctx) {
  if (!WORK.includes(role) || !["open", "contacted"].includes(ticket.state) || !ticket.contact?.phone) {
    return null;
  }
  const shown = h("span", { id: "ticket-call-number" });
  const button = h("button", {
    type: "button", id: "ticket-call-number-show",
    onclick: async () => {
      try {
        const answer = await post(`/ops/v1/reviews/tickets/${ticket.id}/call-number`, {});
        shown.textContent = answer.phone;
        button.hidden = true;
      } catch (err) {
        ctx.showError(err);
      }
    },
  }, t("tickets.callNumber"));
  return h("div", { class: "actions" }, button, shown);
}
const DECIDE = ["supervisor", "admin"];

function renderDetail(box, ticket, ctx, act) {
  box.hidden = false;
  const role = ctx.staff.role;
  const review = ticket.review || {};
  const forms = [];
  if (WORK.includes(role) && ticket.state === "open") {
    forms.push(noteForm("contact", t("tickets.contact"), t("tickets.contactNote"), (note) =>
      act("contact", { note }, t("tickets.contacted"))));
  }
  if (WORK.includes(role) && ticket.state === "contacted") {
    const outcome = h("select", { name: "outcome", id: "ticket-outcome" },
      OUTCOMES.map((o) => h("option", { value: o }, t(`ticket.outcome.${o}`))));
    forms.push(noteForm("resolve", t("tickets.resolve"), t("tickets.resolutionNote"),
      (note, v) => act("resolve", { outcome: v.outcome, note }, t("tickets.resolved")), outcome));
  }
  if (WORK.includes(role) && ["rectified", "explained"].includes(ticket.state)) {
    forms.push(h("div", { class: "actions" }, h("button", {
      type: "button", class: "primary", id: "ticket-close",
      onclick: () => act("close", undefined, t("tickets.closed")),
    }, t("tickets.close"))));
  }
  if (WORK.includes(role) && ["open", "contacted"].includes(ticket.state)) {
    forms.push(noteForm("appeal", t("tickets.appeal"), t("tickets.appealReason"), (reason) =>
      act("appeal", { reason }, t("tickets.appealed"))));
  }
  if (DECIDE.includes(role) && ticket.state === "appealing") {
    const upheld = h("select", { name: "upheld", id: "ticket-upheld" },
      h("option", { value: "false" }, t("tickets.appealRejected")),
      h("option", { value: "true" }, t("tickets.appealUpheld")));
    forms.push(noteForm("decide", t("tickets.decide"), t("tickets.decisionNote"),
      (note, v) => act("appeal/decision", { upheld: v.upheld === "true", note }, t("tickets.decided")),
      upheld, t("tickets.decision")));
  }
  const contact = ticket.contact || {};
  put(clear(box),
    h("h2", {}, t("tickets.detail")),
    h("dl", { class: "facts" },
      fact(t("ticket.field.itemName"), ticket.itemName),
      fact(t("ticket.field.departmentName"), ticket.departmentName),
      fact(t("ticket.field.caseNumber"), ticket.caseNumber),
      fact(t("ticket.field.level"), review.levelLabel || t(`level.${ticket.level}`, {}, ticket.level)),
      fact(t("ticket.field.tags"), (review.tags || []).map((tag) => tag.label).join(t("sep.list"))),
      fact(t("ticket.field.ratedAt"), formatTime(review.ratedAt)),
      fact(t("ticket.field.state"), t(`ticket.state.${ticket.state}`, {}, ticket.state)),
      fact(t("ticket.field.dueOn"), due(ticket)),
      fact(t("ticket.field.flag"), t(`ticket.flag.${ticket.flag}`, {}, ticket.flag)),
      fact(t("ticket.field.contact"), [contact.name, contact.phone].filter(Boolean).join(" ")),
      callNumber(ticket, role, ctx),
      fact(t("ticket.field.contactNote"), ticket.contactNote),
      fact(t("ticket.field.outcome"), ticket.outcome && t(`ticket.outcome.${ticket.outcome}`, {}, ticket.outcome)),
      fact(t("ticket.field.resolutionNote"), ticket.resolutionNote),
      fact(t("ticket.field.appeal"), ticket.appeal && ticket.appeal.reason),
    ),
    ticket.text ? h("blockquote", { class: "review-text" }, ticket.text) : null,
    (ticket.events || []).length
      ? h("ol", { class: "timeline" }, ticket.events.map((e) => h("li", {},
        h("time", {}, formatTime(e.at)), " ",
        t(`ticket.state.${e.toState}`, {}, e.toState),
        e.note ? t("pair", { key: "", value: e.note }) : "")))
      : null,
    forms,
  );
}

function fact(label, value) {
  if (value === null || value === undefined || value === "") return null;
  return [h("dt", {}, label), h("dd", {}, String(value))];
}

function noteForm(name, title, label, submit, extra, extraLabel) {
  const form = h("form", { class: "grid-form", id: `ticket-${name}-form` },
    h("h3", { class: "wide" }, title),
    extra ? field(extraLabel || t("tickets.outcome"), extra) : null,
    field(label, h("textarea", { name: "note", required: true, rows: 2, maxlength: 500 }), "wide"),
    h("div", { class: "actions wide" }, h("button", { type: "submit", class: "primary" }, title)),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const v = formValues(form);
    submit(v.note, v);
  });
  return form;
}

/** A deadline counted on a year without the State Council's notice may still move. */
function due(ticket) {
  if (!ticket.dueOn) return t("tickets.noDue");
  return ticket.dueProvisional ? t("tickets.dueProvisional", { day: ticket.dueOn }) : ticket.dueOn;
}
