// The ops console: sign-in (password, then TOTP), then the views staff may use. Routes are
// hashes (#/notices …); each view renders into <main> and returns what stops its timers.

import { ApiError, get, optional, post, session } from "./api.js";
import { clear, h } from "./dom.js";
import { t } from "./i18n.js";
import * as bundles from "./views/bundles.js";
import * as assist from "./views/assist.js";
import * as calendar from "./views/calendar.js";
import * as dashboard from "./views/dashboard.js";
import * as figures from "./views/figures.js";
import * as halls from "./views/halls.js";
import * as hotline from "./views/hotline.js";
import * as jobs from "./views/jobs.js";
import * as login from "./views/login.js";
import * as notices from "./views/notices.js";
import * as payments from "./views/payments.js";
import * as supervision from "./views/supervision.js";
import * as tickets from "./views/tickets.js";

// probe: a list the view needs; 404 (not deployed) or 403 (not for this role) hides the view.
const VIEWS = [
  { id: "dashboard", module: dashboard },
  { id: "notices", module: notices, probe: "/ops/v1/notices?limit=1" },
  { id: "supervision", module: supervision, probe: "/ops/v1/supervision/cases?limit=1" },
  { id: "tickets", module: tickets, probe: "/ops/v1/reviews/tickets" },
  { id: "hotline", module: hotline, probe: "/ops/v1/hotline/tickets" },
  { id: "payments", module: payments, probe: "/ops/v1/payments/mismatches" },
  { id: "figures", module: figures, probe: "/ops/v1/figures/service?from=2000-01-01&to=2000-01-01" },
  { id: "calendar", module: calendar, probe: "/ops/v1/calendar" },
  { id: "jobs", module: jobs, probe: "/ops/v1/system/jobs/dead-letters" },
  { id: "halls", module: halls, probe: "/ops/v1/halls/figures" },
  { id: "bundles", module: bundles, probe: "/ops/v1/bundles/figures" },
  { id: "assist", module: assist, probe: "/ops/v1/assist/requests" },
];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const logoutButton = document.getElementById("logout");
const flashBox = document.getElementById("flash");

let features = {};
let stopView = null;
let flashTimer = null;

export function flash(message, kind = "info") {
  clearTimeout(flashTimer);
  flashBox.textContent = message;
  flashBox.className = `flash ${kind}`;
  flashBox.hidden = false;
  if (kind !== "error") flashTimer = setTimeout(() => { flashBox.hidden = true; }, 6000);
}

export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.status === 0) return t("error.network");
    const known = t(`error.${err.code}`, {}, "");
    const title = known || err.title || t("error.http", { status: err.status });
    return err.code ? t("error.withCode", { title, code: err.code }) : title;
  }
  return t("error.unexpected");
}

export function showError(err) {
  flash(errorText(err), "error");
}

function available() {
  return VIEWS.filter((view) => features[view.id] !== false);
}

function renderNav(current) {
  clear(nav);
  for (const view of available()) {
    nav.append(h("a", {
      href: `#/${view.id}`, class: view.id === current ? "active" : "",
      "aria-current": view.id === current ? "page" : false, dataset: { view: view.id },
    }, t(`nav.${view.id}`)));
  }
  nav.hidden = false;
}

async function route() {
  if (!session.staff) return;
  // A link may carry the view's own parameters (#/supervision?department=…).
  const wanted = location.hash.replace(/^#\//, "").split("?")[0] || "dashboard";
  const view = available().find((v) => v.id === wanted) || available()[0];
  if (stopView) stopView();
  stopView = null;
  renderNav(view.id);
  clear(main);
  main.setAttribute("aria-busy", "true");
  const ctx = { staff: session.staff, features, flash, showError, errorText };
  try {
    stopView = (await view.module.render(main, ctx)) || null;
  } catch (err) {
    showError(err);
  } finally {
    main.setAttribute("aria-busy", "false");
  }
}

async function probe() {
  features = {};
  await Promise.all(VIEWS.filter((v) => v.probe).map(async (view) => {
    try {
      features[view.id] = (await optional(view.probe)) !== null;
    } catch {
      features[view.id] = true; // up but failing: show it, the view reports the error
    }
  }));
}

async function signedIn(staff) {
  session.staff = staff;
  who.textContent = t("who", { name: staff.displayName, role: t(`role.${staff.role}`, {}, staff.role) });
  logoutButton.hidden = false;
  await probe();
  await route();
}

function signedOut(message) {
  if (stopView) stopView();
  stopView = null;
  session.staff = null;
  who.textContent = "";
  logoutButton.hidden = true;
  nav.hidden = true;
  clear(nav);
  login.render(main, { onSignedIn: signedIn, flash, showError, errorText });
  main.setAttribute("aria-busy", "false");
  if (message) flash(message, "error");
}

async function start() {
  document.title = t("app.title");
  document.getElementById("brand").textContent = t("app.title");
  logoutButton.textContent = t("auth.logout");
  logoutButton.addEventListener("click", async () => {
    try {
      await post("/ops/v1/auth/logout");
    } catch {
      // the session is gone either way
    }
    session.token = null;
    history.replaceState(null, "", location.pathname);
    signedOut();
    flash(t("auth.loggedOut"));
  });
  session.onExpired = () => signedOut(t("auth.expired"));
  window.addEventListener("hashchange", route);
  if (session.token) {
    try {
      await signedIn(await get("/ops/v1/me"));
      return;
    } catch {
      session.token = null;
    }
  }
  signedOut();
}

start();
