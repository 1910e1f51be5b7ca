// The working-day calendar (工作日历): the years whose State Council notice is loaded, any
// year's holidays and 调休 working days (a year without a notice shows the provisional rule),
// and, for a supervisor, the import of a notice file (docs/calendar-notice.md).

import { ApiError, get, post } from "../api.js";
import { clear, formatNumber, formatTime, h, put } from "../dom.js";
import { t } from "../i18n.js";
import { field, table } from "./common.js";

const IMPORTERS = ["supervisor", "admin"];

export async function render(main, ctx) {
  const overview = h("section", { class: "card", id: "calendar-years" });
  const year = h("section", { class: "card", id: "calendar-year" });
  put(main,
    h("div", { class: "page-head" }, h("h1", {}, t("calendar.title"))),
    overview,
    IMPORTERS.includes(ctx.staff.role) ? importForm(ctx, () => refresh()) : null,
    year,
  );

  async function refresh() {
    let data;
    try {
      data = await get("/ops/v1/calendar");
    } catch (err) {
      ctx.showError(err);
      return;
    }
    put(clear(overview),
      h("h2", {}, t("calendar.years")),
      data.warning ? h("p", { class: "flash error", id: "calendar-warning" }, t("calendar.warning", { warning: data.warning })) : null,
      table("calendar-table", [
        { label: t("calendar.col.year"), key: "year" },
        { label: t("calendar.col.source"), render: (r) => r.source },
        { label: t("calendar.col.importedBy"), render: (r) => r.importedBy },
        { label: t("calendar.col.importedAt"), render: (r) => formatTime(r.importedAt) },
        { label: t("calendar.col.holidays"), num: true, render: (r) => formatNumber(r.holidays) },
        { label: t("calendar.col.workdays"), num: true, render: (r) => formatNumber(r.workdays) },
      ], [...data.officialYears].reverse().slice(0, 5)),
    );
    await showYear(new Date(data.today).getFullYear() + 1);
  }

  async function showYear(which) {
    let data;
    try {
      data = await get(`/ops/v1/calendar/${which}`);
    } catch (err) {
      ctx.showError(err);
      return;
    }
    const picker = h("input", { type: "number", name: "year", value: String(which), min: 1990, max: 2200 });
    const days = (list) => list.map((d) => `${d.day} ${d.name}`).join(t("sep.items"));
    put(clear(year),
      h("h2", {}, t("calendar.yearTitle", { year: data.year })),
      h("p", { class: "hint" }, data.official
        ? t("calendar.official", { source: data.source })
        : t("calendar.provisional")),
      h("dl", { class: "facts" },
        h("dt", {}, t("calendar.col.holidays")), h("dd", { id: "calendar-holidays" }, days(data.holidays) || "—"),
        h("dt", {}, t("calendar.col.workdays")), h("dd", { id: "calendar-workdays" }, days(data.workdays) || "—"),
      ),
      h("div", { class: "actions" }, field(t("calendar.col.year"), picker),
        h("button", { type: "button", class: "ghost small", onclick: () => showYear(Number(picker.value)) },
          t("calendar.show"))),
    );
  }

  await refresh();
}

function importForm(ctx, done) {
  const text = h("textarea", { name: "notice", required: true, rows: 8, spellcheck: false });
  const file = h("input", { type: "file", accept: ".toml,text/plain" });
  const problems = h("ul", { class: "problems", id: "calendar-problems", hidden: true });
  file.addEventListener("change", async () => {
    if (file.files && file.files[0]) text.value = await file.files[0].text();
  });
  const form = h("form", { class: "card grid-form", id: "calendar-import" },
    h("h2", {}, t("calendar.import")),
    h("p", { class: "hint wide" }, t("calendar.importHint")),
    field(t("calendar.file"), file, "wide"),
    field(t("calendar.text"), text, "wide"),
    problems,
    h("div", { class: "actions wide" }, h("button", { type: "submit", class: "primary" }, t("calendar.submit"))),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problems.hidden = true;
    try {
      const result = await post("/ops/v1/calendar/notices", { notice: text.value });
      ctx.flash(t("calendar.imported", { year: result.year, holidays: result.holidays, workdays: result.workdays }), "ok");
      form.reset();
      await done();
    } catch (err) {
      const found = err instanceof ApiError && err.problem && err.problem.problems;
      if (Array.isArray(found)) {
        clear(problems).append(...found.map((p) => h("li", {}, p.at ? t("pair", { key: p.at, value: p.problem }) : p.problem)));
        problems.hidden = false;
      }
      ctx.showError(err);
    }
  });
  return form;
}
