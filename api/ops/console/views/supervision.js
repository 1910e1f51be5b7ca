// Electronic supervision (电子监察): the yellow and red cards of each department over the last
// six months, the open cases by deadline with their flags (a department-scoped account sees
// its departments only: the API decides), and the staff member's own messages (the cards pushed
// to a department's supervisors).

import { get, optional, post, query } from "../api.js";
import { clear, formatNumber, formatTime, h, put } from "../dom.js";
import { t } from "../i18n.js";
import { SUPERSEDED, field, items, newestOnly, table } from "./common.js";

const FLAGS = ["red", "yellow", "none"];
const PAGE = 20;
const COUNTS = ["overdue", "lateRectifications", "repeatSupplements", "askedTwice"];

/** The department a link into the view names (#/supervision?department=…). */
function linkedDepartment() {
  const [, search] = location.hash.split("?");
  return new URLSearchParams(search || "").get("department") || "";
}

export async function render(main, ctx) {
  const filters = { department: linkedDepartment(), flag: "", offset: 0 };
  const cardsBox = h("section", { class: "card", id: "supervision-cards" });
  const casesBox = h("section", { class: "card", id: "supervision-cases" });
  const inboxBox = h("section", { class: "card", id: "supervision-inbox", hidden: true });
  const departments = h("select", { name: "department", id: "supervision-department" });
  const flags = h("select", { name: "flag", id: "supervision-flag" },
    h("option", { value: "" }, t("all")),
    FLAGS.map((f) => h("option", { value: f }, t(`supervision.flag.${f}`))));
  departments.addEventListener("change", () => {
    filters.department = departments.value;
    filters.offset = 0;
    load();
  });
  flags.addEventListener("change", () => {
    filters.flag = flags.value;
    filters.offset = 0;
    loadCases();
  });
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, t("supervision.title")),
      h("div", { class: "filters" },
        field(t("supervision.col.department"), departments),
        field(t("supervision.col.flag"), flags))),
    inboxBox, cardsBox, casesBox,
  );

  let known = [];

  const newestCards = newestOnly();
  const newestCases = newestOnly();

  async function loadCards() {
    let answer;
    try {
      answer = await newestCards(get(`/ops/v1/supervision/cards${query({ department: filters.department })}`));
    } catch (err) {
      ctx.showError(err);
      return;
    }
    if (answer === SUPERSEDED) return;
    if (!filters.department) known = answer.departments;
    put(clear(departments),
      h("option", { value: "" }, t("all")),
      known.map((d) => h("option", { value: d.departmentCode, selected: d.departmentCode === filters.department },
        d.departmentName || d.departmentCode)));
    renderCards(cardsBox, answer);
  }

  async function loadCases() {
    let page;
    try {
      page = await newestCases(get(`/ops/v1/supervision/cases${query({
        department: filters.department, flag: filters.flag, limit: PAGE, offset: filters.offset,
      })}`));
    } catch (err) {
      ctx.showError(err);
      return;
    }
    if (page === SUPERSEDED) return;
    renderCases(casesBox, page, (offset) => { filters.offset = offset; loadCases(); });
  }

  async function loadInbox() {
    const inbox = await optional(`/ops/v1/inbox${query({ pageSize: 5 })}`);
    const messages = items(inbox);
    inboxBox.hidden = !messages.length;
    if (!messages.length) return;
    clear(inboxBox).append(
      h("h2", {}, t("supervision.inbox", { unread: inbox.unread })),
      h("ul", { class: "messages", id: "supervision-messages" }, messages.map((m) =>
        h("li", { class: m.read ? "read" : "unread", dataset: { messageId: m.id } },
          h("strong", {}, m.title), h("p", {}, m.body),
          h("div", { class: "actions" }, h("time", {}, formatTime(m.createdAt)),
            m.read ? null : h("button", {
              type: "button", class: "small",
              onclick: async () => {
                try {
                  await post(`/ops/v1/inbox/${m.id}/read`);
                } catch (err) {
                  ctx.showError(err);
                }
                await loadInbox();
              },
            }, t("supervision.markRead")))))),
    );
  }

  async function load() {
    await Promise.all([loadCards(), loadCases()]);
  }

  await Promise.all([load(), loadInbox()]);
  return null;
}

function renderCards(box, answer) {
  clear(box).append(h("h2", {}, t("supervision.cards")), h("p", { class: "hint" }, rulesText(answer.rules)));
  if (!answer.departments.length) {
    box.append(h("p", { class: "empty" }, t("supervision.noCards")));
    return;
  }
  const latest = (d) => d.months[d.months.length - 1];
  box.append(table("supervision-card-table", [
    { label: t("supervision.col.department"), render: (d) => d.departmentName || d.departmentCode },
    ...answer.months.map((month, i) => ({
      label: month, render: (d) => cardCell(d.months[i]),
    })),
    { label: t("supervision.col.reasons"), render: (d) => reasonsText(latest(d)) },
  ], answer.departments, (d) => ({ dataset: { department: d.departmentCode, colour: latest(d).colour } })));
}

function cardCell(card) {
  if (!card.computed) return h("span", { class: "card-cell card-pending", title: t("supervision.notComputed") }, "·");
  const counts = COUNTS.filter((k) => card[k]).map((k) => t(`supervision.count.${k}`, { n: card[k] }));
  return h("span", {
    class: `card-cell card-${card.colour}`,
    title: counts.join(t("sep.items")) || t("supervision.clean"),
  }, t(`supervision.colour.${card.colour}`));
}

function reasonsText(card) {
  if (!card.computed) return t("supervision.notComputed");
  if (!card.reasons.length) return t("supervision.clean");
  return card.reasons.map((r) => t(`supervision.reason.${r}`, { n: card[r.replace(/_(\w)/g, (_, c) => c.toUpperCase())] }))
    .join(t("sep.items"));
}

function rulesText(rules) {
  return t("supervision.rules", {
    redOverdue: rules.redOverdue, redLate: rules.redLateRectifications, redTwice: rules.redAskedTwice,
    yellowOverdue: rules.yellowOverdue, yellowLate: rules.yellowLateRectifications,
    yellowRepeat: rules.yellowRepeatSupplements, yellowTwice: rules.yellowAskedTwice,
  });
}

function renderCases(box, page, go) {
  clear(box).append(h("h2", {}, t("supervision.cases", { total: formatNumber(page.total) })));
  if (!page.items.length) {
    box.append(h("p", { class: "empty" }, t("supervision.noCases")));
    return;
  }
  box.append(table("supervision-case-table", [
    { label: t("supervision.col.flag"), render: (c) => flagBadge(c.flag) },
    { label: t("supervision.col.case"), render: (c) => h("span", {}, c.itemName,
      h("span", { class: "badge" }, c.caseNumber || "—")) },
    { label: t("supervision.col.department"), render: (c) => c.departmentName || c.departmentCode },
    { label: t("supervision.col.applicant"), render: (c) => c.applicant || "—" },
    { label: t("supervision.col.state"), render: (c) => t(`supervision.state.${c.state}`, {}, c.state) },
    { label: t("supervision.col.due"), render: (c) => (c.due
      ? (c.dueProvisional ? t("supervision.dueProvisional", { day: c.due }) : c.due) : "—") },
    { label: t("supervision.col.left"), num: true, render: (c) => leftText(c.workingDaysLeft) },
    { label: t("supervision.col.askedTwice"), num: true, render: (c) => (c.askedTwice
      ? h("span", { class: "flag flag-late" }, formatNumber(c.askedTwice)) : "—") },
  ], page.items, (c) => ({ dataset: { caseId: c.id, flag: c.flag } })));
  const pages = h("div", { class: "actions pager" },
    h("button", { type: "button", class: "small", id: "supervision-prev", disabled: page.offset === 0,
      onclick: () => go(Math.max(0, page.offset - page.limit)) }, t("supervision.prev")),
    h("span", {}, t("supervision.page", {
      from: page.offset + 1, to: page.offset + page.items.length, total: page.total,
    })),
    h("button", { type: "button", class: "small", id: "supervision-next",
      disabled: page.offset + page.items.length >= page.total,
      onclick: () => go(page.offset + page.limit) }, t("supervision.next")));
  box.append(pages);
}

function flagBadge(flag) {
  return h("span", { class: `status flag-${flag}` }, t(`supervision.flag.${flag}`));
}

function leftText(days) {
  if (days === null || days === undefined) return "—";
  return days < 0 ? t("supervision.overdueBy", { n: -days }) : t("supervision.daysLeft", { n: days });
}
