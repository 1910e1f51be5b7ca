// Jobs that gave up (dead letters): what each concerns (a declaration, a message, an order — by
// id and summary, never personal data) and its last error. A supervisor retries one (it runs
// again) or discards it; the API audits both.

import { get, post, query } from "../api.js";
import { clear, formatNumber, formatTime, h } from "../dom.js";
import { t } from "../i18n.js";
import { items, table } from "./common.js";

const BASE = "/ops/v1/system/jobs/dead-letters";

export async function render(main, ctx) {
  const list = h("section", { class: "card", id: "dead-letters" });
  main.append(
    h("div", { class: "page-head" }, h("h1", {}, t("jobs.title")),
      h("button", { type: "button", class: "ghost", id: "jobs-refresh", onclick: () => refresh() },
        t("refresh"))),
    list,
  );

  async function act(letter, action, done) {
    try {
      await post(`${BASE}/${letter.id}/${action}`);
      ctx.flash(t(done), "ok");
    } catch (err) {
      ctx.showError(err);
    }
    await refresh();
  }

  async function refresh() {
    let rows;
    try {
      rows = items(await get(`${BASE}${query({ limit: 200 })}`));
    } catch (err) {
      ctx.showError(err);
      return;
    }
    clear(list).append(h("h2", {}, t("jobs.list")));
    if (!rows.length) {
      list.append(h("p", { class: "empty" }, t("jobs.none")));
      return;
    }
    list.append(table("dead-letter-table", [
      { label: t("jobs.col.summary"), render: (r) => summary(r) },
      { label: t("jobs.col.subject"), render: (r) => subject(r) },
      { label: t("jobs.col.attempts"), num: true, render: (r) => formatNumber(r.attempts) },
      { label: t("jobs.col.error"), render: (r) => h("span", { class: "hint" }, r.lastError || "—") },
      { label: t("jobs.col.updated"), render: (r) => formatTime(r.updated) },
      { label: t("jobs.col.actions"), render: (r) => h("span", { class: "actions" },
        h("button", { type: "button", class: "primary small", dataset: { action: "retry" },
          onclick: () => act(r, "retry", "jobs.retried") }, t("jobs.retry")),
        h("button", { type: "button", class: "ghost small", dataset: { action: "discard" },
          onclick: () => {
            if (window.confirm(t("jobs.confirmDiscard", { summary: summary(r) }))) {
              act(r, "discard", "jobs.discarded");
            }
          } }, t("jobs.discard"))) },
    ], rows, (r) => ({ dataset: { jobId: String(r.id), entrypoint: r.entrypoint } })));
  }

  await refresh();
  return null;
}

function summary(letter) {
  return letter.subject ? letter.subject.summary : letter.entrypoint;
}

function subject(letter) {
  if (!letter.subject) return "—";
  const kind = t(`jobs.kind.${letter.subject.kind}`, {}, letter.subject.kind);
  return h("span", { title: letter.entrypoint }, t("pair", { key: kind, value: letter.subject.id }));
}
