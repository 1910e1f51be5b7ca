// Notices (通知公告): operators draft, a supervisor who is not the author approves (four eyes),
// the send runs in batches; figures (targeted, sent, read, per channel) refresh while it runs.
// An urgent notice also goes by SMS: its cost is shown before approval, and the approval carries
// the cost the supervisor confirmed (the server refuses it when the cost changed since).

import { get, post, query } from "../api.js";
import { barChart } from "../charts.js";
import { clear, formValues, formatFen, formatNumber, formatTime, h, put } from "../dom.js";
import { t } from "../i18n.js";
import { field, table } from "./common.js";

const DRAFTERS = ["operator", "supervisor", "admin"];
const APPROVERS = ["supervisor", "admin"];
const RUNNING = new Set(["approved", "sending"]);
const POLL_MS = 3000;
const CHANNELS = ["inbox", "wechat", "app", "sms"];
const FIGURES = ["queued", "sent", "delivered", "read", "failed", "skipped", "quotaMisses"];

export async function render(main, ctx) {
  const state = { notices: [], selected: null, timer: null, stopped: false };
  const canDraft = DRAFTERS.includes(ctx.staff.role);
  const list = h("section", { class: "card", "aria-labelledby": "notices-title" });
  const detail = h("section", { class: "card", id: "notice-detail", hidden: true });
  put(main,
    h("div", { class: "page-head" }, h("h1", { id: "notices-title" }, t("notices.title"))),
    canDraft ? draftForm(ctx, () => refresh()) : null,
    list,
    detail,
    canDraft ? tagForm(ctx) : null,
  );

  async function refresh() {
    clearTimeout(state.timer);
    try {
      state.notices = await get(`/ops/v1/notices${query({ limit: 50 })}`);
    } catch (err) {
      ctx.showError(err);
      return;
    }
    if (state.stopped) return;
    renderList(list, state, ctx, {
      approve: (n) => {
        // An urgent notice: the supervisor confirms the SMS cost shown, and approves that.
        if (n.urgent && n.sms) {
          if (!window.confirm(t("notices.confirmSms", smsWords(n.sms)))) return;
          act(`/ops/v1/notices/${n.id}/approve`, t("notices.approved"), { smsCostFen: n.sms.costFen });
        } else {
          act(`/ops/v1/notices/${n.id}/approve`, t("notices.approved"));
        }
      },
      cancel: (n) => act(`/ops/v1/notices/${n.id}/cancel`, t("notices.cancelled")),
      select: (n) => { state.selected = n.id; renderDetail(detail, n); },
    });
    const selected = state.notices.find((n) => n.id === state.selected);
    if (selected) renderDetail(detail, selected);
    // Figures move while a send runs: look again until every notice is at rest.
    if (state.notices.some((n) => RUNNING.has(n.status) || queued(n))) {
      state.timer = setTimeout(refresh, POLL_MS);
    }
  }

  async function act(path, done, body) {
    try {
      await post(path, body);
      ctx.flash(done, "ok");
    } catch (err) {
      ctx.showError(err);
    }
    await refresh();
  }

  await refresh();
  return () => {
    state.stopped = true;
    clearTimeout(state.timer);
  };
}

function draftForm(ctx, onDrafted) {
  const selector = h("input", { name: "selector", id: "notice-selector", maxlength: 64 });
  const selectorField = field(t("notices.selector.region"), selector);
  const ids = h("textarea", { name: "citizenIds", id: "notice-citizen-ids", rows: 3 });
  const idsField = field(t("notices.citizenIds"), ids);
  const kind = h("select", { name: "kind", id: "notice-audience" },
    ["all", "region", "tag", "item", "list"].map((k) => h("option", { value: k }, t(`audience.${k}`))));
  const syncAudience = () => {
    selectorField.hidden = !["region", "tag", "item"].includes(kind.value);
    selector.required = !selectorField.hidden;
    selectorField.querySelector("span").textContent = t(`notices.selector.${kind.value}`, {}, "");
    idsField.hidden = kind.value !== "list";
    ids.required = !idsField.hidden;
  };
  kind.addEventListener("change", syncAudience);
  const form = h("form", { id: "notice-form", class: "card grid-form" },
    h("h2", {}, t("notices.new")),
    field(t("notices.field.title"), h("input", {
      name: "title", id: "notice-title", required: true, maxlength: 60,
    }), "wide"),
    field(t("notices.field.body"), h("textarea", {
      name: "body", id: "notice-body", required: true, maxlength: 2000, rows: 4,
    }), "wide"),
    field(t("notices.field.audience"), kind),
    selectorField,
    idsField,
    field(t("notices.field.sendAt"), h("input", { name: "sendAt", id: "notice-send-at", type: "datetime-local" })),
    field(t("notices.field.link"), h("input", { name: "link", id: "notice-link", type: "url", maxlength: 500 })),
    h("fieldset", { class: "channels" }, h("legend", {}, t("notices.field.channels")),
      h("label", {}, h("input", { type: "checkbox", name: "inbox", checked: true, disabled: true }), t("channel.inbox")),
      h("label", {}, h("input", { type: "checkbox", name: "wechat", id: "notice-wechat", checked: true }), t("channel.wechat")),
      h("label", {}, h("input", { type: "checkbox", name: "app", id: "notice-app", checked: true }), t("channel.app")),
      h("label", {}, h("input", { type: "checkbox", name: "urgent", id: "notice-urgent" }), t("notices.field.urgent"))),
    h("div", { class: "actions wide" },
      h("button", { type: "submit", class: "primary", id: "notice-submit" }, t("notices.submitDraft")),
      h("span", { class: "hint" }, t("notices.fourEyes"))),
  );
  syncAudience();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const audience = { kind: v.kind };
    if (v.kind === "region") audience.regionCode = v.selector;
    if (v.kind === "tag") audience.tag = v.selector;
    if (v.kind === "item") audience.itemCode = v.selector;
    if (v.kind === "list") audience.citizenIds = v.citizenIds.split(/[\s,\uff0c]+/).filter(Boolean);
    const body = {
      title: v.title, body: v.body, audience,
      channels: ["inbox", "wechat", "app"].filter((c) => c === "inbox" || form.elements[c].checked),
      urgent: form.elements.urgent.checked,
    };
    if (v.link) body.link = v.link;
    if (v.sendAt) body.sendAt = new Date(v.sendAt).toISOString();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await post("/ops/v1/notices", body);
      form.reset();
      syncAudience();
      ctx.flash(t("notices.drafted"), "ok");
      await onDrafted();
    } catch (err) {
      ctx.showError(err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function audienceText(audience) {
  const kind = t(`audience.${audience.kind}`, {}, audience.kind);
  const selector = audience.regionCode || audience.tag || audience.itemCode;
  if (selector) return t("pair", { key: kind, value: selector });
  if (audience.citizenIds && audience.citizenIds.length) {
    return t("pair", { key: kind, value: t("notices.people", { n: audience.citizenIds.length }) });
  }
  return kind;
}

function renderList(list, state, ctx, actions) {
  const me = ctx.staff.id;
  const canApprove = APPROVERS.includes(ctx.staff.role);
  const canCancel = DRAFTERS.includes(ctx.staff.role);
  clear(list).append(h("h2", {}, t("notices.list")));
  if (!state.notices.length) {
    list.append(h("p", { class: "empty" }, t("notices.none")));
    return;
  }
  const rows = state.notices.map((n) => {
    const mine = n.createdBy === me;
    const buttons = [];
    if (n.status === "draft" && canApprove && !mine) {
      buttons.push(h("button", { type: "button", class: "primary small", dataset: { action: "approve" },
        onclick: () => actions.approve(n) }, t("notices.approve")));
    }
    if (n.status === "draft" && canApprove && mine) {
      buttons.push(h("span", { class: "hint" }, t("notices.needsOther")));
    }
    if ((n.status === "draft" || n.status === "approved") && canCancel) {
      buttons.push(h("button", { type: "button", class: "ghost small", dataset: { action: "cancel" },
        onclick: () => {
          if (window.confirm(t("notices.confirmCancel", { title: n.title }))) actions.cancel(n);
        } }, t("notices.cancel")));
    }
    return h("tr", { dataset: { noticeId: n.id, status: n.status } },
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => actions.select(n) }, n.title),
        mine ? h("span", { class: "badge" }, t("notices.mine")) : null),
      h("td", {}, h("span", { class: `status status-${n.status}`, dataset: { field: "status" } },
        t(`notice.status.${n.status}`, {}, n.status))),
      h("td", {}, audienceText(n.audience)),
      h("td", {}, n.sendAt ? formatTime(n.sendAt) : t("notices.now")),
      h("td", { class: "num", dataset: { figure: "targeted" } }, formatNumber(n.figures.targeted)),
      h("td", { class: "num", dataset: { figure: "sent" } }, formatNumber(n.figures.sent)),
      h("td", { class: "num", dataset: { figure: "read" } }, formatNumber(n.figures.read)),
      h("td", { class: "actions" }, buttons),
    );
  });
  list.append(h("div", { class: "table-wrap" }, h("table", { id: "notice-table" },
    h("thead", {}, h("tr", {}, ["title", "status", "audience", "sendAt", "targeted", "sent", "read", "actions"]
      .map((c) => h("th", { scope: "col" }, t(`notices.col.${c}`))))),
    h("tbody", {}, rows))));
}

/** Deliveries still waiting on a channel (they go on after the last batch is written). */
function queued(n) {
  return Object.values(n.figures.channels || {}).some((counts) => counts.queued > 0);
}

function smsWords(sms) {
  return { n: formatNumber(sms.recipients), parts: sms.parts, price: formatFen(sms.priceFen), cost: formatFen(sms.costFen) };
}

function renderDetail(box, n) {
  box.hidden = false;
  const f = n.figures;
  const rate = f.targeted ? Math.round((100 * f.read) / f.targeted) : null;
  const channels = CHANNELS.filter((c) => f.channels && f.channels[c]).map((c) => [c, f.channels[c]]);
  const statuses = ["sent", "delivered", "failed"];
  put(clear(box),
    h("h2", {}, t("notices.detail", { title: n.title })),
    h("p", { class: "notice-body" }, n.body),
    h("dl", { class: "facts" },
      h("dt", {}, t("notices.col.status")), h("dd", {}, t(`notice.status.${n.status}`, {}, n.status)),
      h("dt", {}, t("notices.col.audience")), h("dd", {}, audienceText(n.audience)),
      h("dt", {}, t("notices.field.channels")), h("dd", {}, n.channels.map((c) => t(`channel.${c}`, {}, c)).join(t("sep.list"))),
      h("dt", {}, t("notices.field.urgent")), h("dd", {}, t(n.urgent ? "notices.urgentYes" : "notices.urgentNo")),
      n.sms ? h("dt", {}, t(n.sms.approved ? "notices.smsApproved" : "notices.smsEstimate")) : null,
      n.sms ? h("dd", { id: "notice-sms-cost", dataset: { costFen: n.sms.costFen } }, t("notices.smsCost", smsWords(n.sms))) : null,
      h("dt", {}, t("notices.createdAt")), h("dd", {}, formatTime(n.createdAt)),
      h("dt", {}, t("notices.finishedAt")), h("dd", {}, formatTime(n.finishedAt)),
    ),
    h("div", { class: "kpis" },
      kpi(t("notices.col.targeted"), f.targeted),
      kpi(t("notices.col.sent"), f.sent),
      kpi(t("notices.col.read"), f.read),
      h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, t("notices.readRate")),
        h("span", { class: "kpi-value" }, rate === null ? "—" : `${rate}%`)),
    ),
    h("h3", {}, t("notices.channelFigures")),
    table("notice-channels",
      [{ label: t("notices.field.channel"), render: ([c]) => t(`channel.${c}`, {}, c) },
        ...FIGURES.map((k) => ({ label: t(`delivery.${k}`), num: true, render: ([, counts]) => formatNumber(counts[k]) }))],
      channels,
      ([c]) => ({ dataset: { channel: c } })),
    channels.length
      ? barChart({
        label: t("notices.channelChart"),
        categories: channels.map(([c]) => t(`channel.${c}`, {}, c)),
        series: statuses.map((st) => ({
          label: t(`delivery.${st}`, {}, st),
          values: channels.map(([, counts]) => counts[st] || 0),
        })),
      })
      : null,
  );
}

function kpi(label, value) {
  return h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, label),
    h("span", { class: "kpi-value" }, formatNumber(value)));
}

function tagForm(ctx) {
  const form = h("form", { class: "card grid-form", id: "tag-form" },
    h("h2", {}, t("tags.title")),
    h("p", { class: "hint wide" }, t("tags.hint")),
    field(t("tags.tag"), h("input", { name: "tag", required: true, maxlength: 32 })),
    field(t("tags.ids"), h("textarea", { name: "ids", required: true, rows: 3 }), "wide"),
    h("div", { class: "actions wide" }, h("button", { type: "submit", class: "primary" }, t("tags.submit"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = formValues(form);
    try {
      const done = await post("/ops/v1/notices/citizen-tags", {
        tag: v.tag, citizenIds: v.ids.split(/[\s,\uff0c]+/).filter(Boolean),
      });
      ctx.flash(t("tags.done", { tag: done.tag, n: done.tagged }), "ok");
      form.reset();
    } catch (err) {
      ctx.showError(err);
    }
  });
  return form;
}
