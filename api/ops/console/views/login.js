// Staff sign-in: username and password, then the 6-digit TOTP code of the authenticator app.

import { post, session } from "../api.js";
import { clear, formValues, h } from "../dom.js";
import { t } from "../i18n.js";
import { field } from "./common.js";

export function render(main, ctx) {
  clear(main);
  const box = h("section", { class: "card login", "aria-labelledby": "login-title" });
  main.append(box);
  passwordStep(box, ctx);
}

function passwordStep(box, ctx) {
  const form = h("form", { id: "login-form", autocomplete: "on" },
    h("h1", { id: "login-title" }, t("auth.title")),
    field(t("auth.username"), h("input", {
      name: "username", id: "username", required: true, autocomplete: "username", maxlength: 64,
    })),
    field(t("auth.password"), h("input", {
      name: "password", id: "password", type: "password", required: true,
      autocomplete: "current-password", maxlength: 256,
    })),
    h("button", { type: "submit", class: "primary" }, t("auth.next")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { username, password } = formValues(form);
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const challenge = await post("/ops/v1/auth/login", { username, password });
      totpStep(box, ctx, challenge.mfaToken);
    } catch (err) {
      ctx.showError(err);
      button.disabled = false;
    }
  });
  clear(box).append(form);
  form.querySelector("input").focus();
}

function totpStep(box, ctx, mfaToken) {
  const form = h("form", { id: "totp-form" },
    h("h1", { id: "login-title" }, t("auth.totpTitle")),
    h("p", { class: "hint" }, t("auth.totpHint")),
    field(t("auth.code"), h("input", {
      name: "code", id: "totp", required: true, inputmode: "numeric", pattern: "[0-9]{6}",
      maxlength: 6, autocomplete: "one-time-code",
    })),
    h("button", { type: "submit", class: "primary" }, t("auth.signIn")),
    h("button", { type: "button", class: "ghost", onclick: () => passwordStep(box, ctx) }, t("auth.back")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const opened = await post("/ops/v1/auth/totp", { mfaToken, code: formValues(form).code });
      session.token = opened.sessionToken;
      await ctx.onSignedIn(opened.staff);
    } catch (err) {
      ctx.showError(err);
      button.disabled = false;
    }
  });
  clear(box).append(form);
  form.querySelector("input").focus();
}
