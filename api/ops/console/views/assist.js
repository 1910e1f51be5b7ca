// 帮办: a hall worker applies on behalf of the citizen at the window. The worker names the
// citizen (ID card shown at the window) and the items; a code goes to the phone on the
// citizen's record; the code the citizen reads out gives the worker a token acting for them
// (the citizen API, the citizen's checks, only those items, for a limited time). The worker
// then drafts, fills, attaches and submits as the citizen would, and ends the assistance.

import { ApiError, get, post } from "../api.js";
import { clear, formatTime, h, put } from "../dom.js";
import { t } from "../i18n.js";
import { field, table } from "./common.js";

/** A call to the citizen API with the assistance's token (never the staff session's). */
async function asCitizen(token, method, path, { body, form, key } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": "zh-CN", Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "omit", cache: "no-store",
      body: form !== undefined ? form : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { code: "NETWORK", title: "" });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) throw new ApiError(response.status, payload && typeof payload === "object" ? payload : {});
  return payload;
}

export async function render(main, ctx) {
  const start = h("section", { class: "card", id: "assist-start" });
  const work = h("section", { class: "card", id: "assist-work", hidden: true });
  const mine = h("section", { class: "card", id: "assist-mine" });
  put(main, h("div", { class: "page-head" }, h("h1", {}, t("assist.title"))), start, work, mine);

  let current = null; // {request, granted}

  function startForm() {
    const idNumber = h("input", { name: "idNumber", required: true, maxlength: 18, autocomplete: "off" });
    const name = h("input", { name: "name", required: true, maxlength: 30, autocomplete: "off" });
    const items = h("input", { name: "items", required: true, placeholder: t("assist.itemsHint") });
    const form = h("form", { class: "grid-form", id: "assist-request" },
      h("h2", {}, t("assist.start")),
      h("p", { class: "hint wide" }, t("assist.startHint")),
      field(t("assist.idNumber"), idNumber),
      field(t("assist.name"), name),
      field(t("assist.items"), items, "wide"),
      h("div", { class: "actions wide" }, h("button", { type: "submit", class: "primary" }, t("assist.sendCode"))),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const request = await post("/ops/v1/assist/requests", {
          idNumber: idNumber.value.trim().toUpperCase(),
          name: name.value.trim(),
          items: items.value.split(/[,\uFF0C\s]+/).filter(Boolean),
        });
        current = { request, granted: null };
        ctx.flash(t("assist.codeSent", { phone: request.phone }), "ok");
        form.reset();
        confirmForm();
        await refreshMine();
      } catch (err) {
        ctx.showError(err);
      }
    });
    put(clear(start), form);
  }

  function confirmForm() {
    const { request } = current;
    const code = h("input", { name: "code", required: true, inputmode: "numeric", maxlength: 6, autocomplete: "one-time-code" });
    const form = h("form", { class: "grid-form", id: "assist-confirm" },
      h("h2", {}, t("assist.confirm")),
      h("p", { class: "hint wide", id: "assist-citizen" },
        t("assist.citizenLine", { name: request.citizenName, phone: request.phone, items: request.items.map((i) => i.name).join(t("sep.items")) })),
      field(t("assist.code"), code),
      h("div", { class: "actions wide" },
        h("button", { type: "submit", class: "primary" }, t("assist.confirmCode")),
        h("button", { type: "button", class: "ghost", onclick: () => startForm() }, t("assist.cancel"))),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        current.granted = await post(`/ops/v1/assist/requests/${request.id}/confirm`, { code: code.value.trim() });
        ctx.flash(t("assist.confirmed", { name: current.granted.citizenName }), "ok");
        startForm();
        showWork();
        await refreshMine();
      } catch (err) {
        ctx.showError(err);
      }
    });
    put(clear(start), form);
  }

  function showWork() {
    const { granted } = current;
    const choose = h("select", { name: "item" }, granted.items.map((i) => h("option", { value: i.code }, i.name)));
    const draftArea = h("div", { id: "assist-draft" });
    put(clear(work),
      h("h2", {}, t("assist.working", { name: granted.citizenName })),
      h("p", { class: "hint" }, t("assist.until", { at: formatTime(granted.validUntil) })),
      h("div", { class: "actions" }, field(t("assist.item"), choose),
        h("button", { type: "button", class: "primary", id: "assist-create", onclick: () => createDraft(choose.value) }, t("assist.create")),
        h("button", { type: "button", class: "ghost", id: "assist-end", onclick: () => end() }, t("assist.end"))),
      draftArea,
    );
    work.hidden = false;

    async function createDraft(itemCode) {
      try {
        const draft = await asCitizen(granted.accessToken, "POST", "/api/v1/declarations", { body: { itemCode } });
        showDraft(draft);
      } catch (err) {
        ctx.showError(err);
      }
    }

    function showDraft(draft) {
      const inputs = draft.form.map((f) => {
        const value = draft.formData[f.key] ?? "";
        const input = f.type === "select"
          ? h("select", { name: f.key }, (f.options || []).map((o) => h("option", { value: o, selected: o === value }, o)))
          : h("input", { name: f.key, value: String(value), required: Boolean(f.required), type: f.type === "date" ? "date" : f.type === "number" ? "number" : "text" });
        return { f, input };
      });
      const materials = draft.materials.map((m) => {
        const file = h("input", { type: "file", name: m.code, accept: ".pdf,.jpg,.jpeg,.png,.ofd" });
        return { m, file };
      });
      const form = h("form", { class: "grid-form", id: "assist-form" },
        h("h3", { class: "wide" }, t("assist.draftOf", { item: draft.itemName })),
        inputs.map(({ f, input }) => field(`${f.label}${f.required ? " *" : ""}`, input)),
        materials.map(({ m, file }) => field(`${m.name}${m.required ? " *" : ""}`, file, "wide")),
        h("div", { class: "actions wide" }, h("button", { type: "submit", class: "primary", id: "assist-submit" }, t("assist.submit"))),
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const formData = {};
          for (const { f, input } of inputs) {
            if (input.value === "") continue;
            formData[f.key] = f.type === "number" ? Number(input.value) : input.value;
          }
          await asCitizen(granted.accessToken, "PATCH", `/api/v1/declarations/${draft.id}`, { body: { formData } });
          for (const { m, file } of materials) {
            if (!file.files || !file.files[0]) continue;
            const body = new FormData();
            body.append("file", file.files[0]);
            await asCitizen(granted.accessToken, "PUT", `/api/v1/declarations/${draft.id}/materials/${encodeURIComponent(m.code)}`, { form: body });
          }
          const done = await asCitizen(granted.accessToken, "POST", `/api/v1/declarations/${draft.id}/submit`, { key: crypto.randomUUID() });
          put(clear(draftArea), h("p", { class: "flash ok", id: "assist-result" }, t("assist.submitted", { item: done.itemName, state: t(`assist.state.${done.state}`, {}, done.state) })));
        } catch (err) {
          ctx.showError(err);
        }
      });
      put(clear(draftArea), form);
    }
  }

  async function end() {
    try {
      await post(`/ops/v1/assist/requests/${current.request.id}/end`);
      ctx.flash(t("assist.ended"), "ok");
      current = null;
      work.hidden = true;
      clear(work);
      await refreshMine();
    } catch (err) {
      ctx.showError(err);
    }
  }

  async function refreshMine() {
    let data;
    try {
      data = await get("/ops/v1/assist/requests");
    } catch (err) {
      ctx.showError(err);
      return;
    }
    put(clear(mine),
      h("h2", {}, t("assist.mine")),
      data.items.length
        ? table("assist-table", [
          { label: t("assist.col.citizen"), render: (r) => r.citizenName },
          { label: t("assist.col.items"), render: (r) => r.items.map((i) => i.name).join(t("sep.items")) },
          { label: t("assist.col.at"), render: (r) => formatTime(r.createdAt) },
          { label: t("assist.col.status"), render: (r) => t(`assist.status.${r.status}`) },
        ], data.items)
        : h("p", { class: "hint" }, t("assist.none")),
    );
  }

  startForm();
  await refreshMine();
}
