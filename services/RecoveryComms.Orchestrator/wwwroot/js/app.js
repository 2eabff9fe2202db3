// The console's entry point: sign-in, the header and its navigation, the live feed, and the hash router that shows
// one page at a time (see docs/console.md for the map of pages and the routes each one calls).

import { api, ApiError, openStream, session, whenUnauthorized } from "./api.js";
import { fill, h, field, notify } from "./dom.js";
import * as queue from "./queue.js";
import * as review from "./review.js";
import * as scorecard from "./scorecard.js";
import * as settings from "./settings.js";
import * as compliance from "./compliance.js";

const Pages = [
  { name: "queue", label: "Queue", module: queue, roles: ["csr", "manager", "admin"] },
  { name: "review", label: "Daily review", module: review, roles: ["manager", "admin"] },
  { name: "scorecard", label: "Scorecard", module: scorecard, roles: ["manager", "admin"] },
  { name: "settings", label: "Settings", module: settings, roles: ["manager", "admin"] },
  { name: "compliance", label: "Compliance", module: compliance, roles: ["compliance", "manager"] },
];

const root = document.getElementById("app");
let context = null;
let leavePage = () => {};
let current = null;

/** What every page gets: who is signed in, and the live feed to subscribe to. */
function createContext(me) {
  const itemListeners = new Set();
  const openListeners = new Set();
  const live = ["csr", "manager", "admin"].includes(me.role);
  const statusElement = h("span", { class: "stream-state", role: "status", title: "Live updates", hidden: !live }, "Connecting…");
  const stop = live
    ? openStream({
      onEvent(event, data) {
        if (event === "item") { for (const listener of itemListeners) { listener(data); } }
        if (event === "alert" && data.userId === me.id) { notify(data.text, "alert"); }
      },
      onOpen() { for (const listener of openListeners) { listener(); } },
      onState(state) {
        statusElement.dataset.state = state;
        statusElement.textContent = { live: "● Live", connecting: "Connecting…", offline: "Offline: reconnecting" }[state];
      },
    })
    : () => {};
  let settings = null;
  return {
    me,
    statusElement,
    /** The shop's settings (talk tracks, template, hours), loaded once and reloaded after a manager saves them. */
    settings() { settings ??= api("/api/settings").catch((error) => { settings = null; throw error; }); return settings; },
    settingsChanged() { settings = null; },
    onItem(listener) { itemListeners.add(listener); return () => itemListeners.delete(listener); },
    onReconnect(listener) { openListeners.add(listener); return () => openListeners.delete(listener); },
    close: stop,
  };
}

function pagesFor(role) { return Pages.filter((page) => page.roles.includes(role)); }

function signOut(message) {
  session.key = null;
  context?.close();
  context = null;
  leavePage();
  leavePage = () => {};
  current = null;
  history.replaceState(null, "", "#/");
  showSignIn(message);
}

function showSignIn(message) {
  const key = h("input", { type: "password", autocomplete: "current-password", required: true, spellcheck: "false" });
  const error = h("p", { class: "error", role: "alert" }, message || "");
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "sign-in", onsubmit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    session.key = key.value.trim();
    try {
      await start();
    } catch (failure) {
      session.key = null;
      error.textContent = failure instanceof ApiError && failure.status === 401
        ? "That key was not accepted. Check it with your administrator."
        : "The service could not be reached. Try again in a moment.";
      button.disabled = false;
    }
  } },
  h("h1", {}, "RecoveryComms"),
  h("p", {}, "Sign in with your API key. It is kept only for this browser tab."),
  field("API key", key),
  button,
  error);
  fill(root, form);
  key.focus();
}

async function start() {
  const me = await api("/api/me");
  context = createContext(me);
  const pages = pagesFor(me.role);
  const nav = h("nav", { "aria-label": "Pages" },
    h("ul", {}, pages.map((page) => h("li", {}, h("a", { href: `#/${page.name}`, dataset: { page: page.name } }, page.label)))));
  const header = h("header", { class: "top" },
    h("a", { class: "brand", href: "#/" }, "RecoveryComms"),
    nav,
    context.statusElement,
    h("span", { class: "who" }, `${me.name} · ${me.role}`),
    h("button", { type: "button", class: "link", onclick: () => signOut() }, "Sign out"));
  fill(root, header, h("div", { id: "page", tabindex: "-1" }));
  if (!location.hash || location.hash === "#/") {
    history.replaceState(null, "", `#/${pages[0]?.name ?? "queue"}`);
  }
  route();
}

function route() {
  if (!context) { return; }
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/").map((part) => {
    try { return decodeURIComponent(part); } catch { return ""; }
  });
  const page = Pages.find((candidate) => candidate.name === name);
  const container = document.getElementById("page");
  // A page that can follow a change of its own address (the queue selecting another item) does so in place.
  if (current && current.name === name && current.update?.(rest)) { markNav(name); return; }
  leavePage();
  leavePage = () => {};
  current = null;
  markNav(name);
  if (!page) {
    const first = pagesFor(context.me.role)[0];
    fill(container, h("p", {}, "No such page. "), first ? h("a", { href: `#/${first.name}` }, `Go to ${first.label}`) : null);
    return;
  }
  if (!page.roles.includes(context.me.role)) {
    fill(container, h("section", { class: "denied" },
      h("h1", {}, "Not available to you"),
      h("p", {}, `The ${page.label} pages are for ${page.roles.join(", ")} staff. Ask a manager if you need access.`)));
    return;
  }
  const shown = page.module.render(container, context, rest);
  current = { name, update: shown?.update };
  leavePage = typeof shown === "function" ? shown : shown?.leave || (() => {});
  container.focus({ preventScroll: true });
}

function markNav(name) {
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === name) { link.setAttribute("aria-current", "page"); } else { link.removeAttribute("aria-current"); }
  }
}

whenUnauthorized(() => { if (context) { signOut("Your key is no longer accepted. Sign in again."); } });
window.addEventListener("hashchange", route);
document.body.append(h("div", { id: "toasts", class: "toasts", "aria-live": "polite" }));

if (session.key) {
  start().catch(() => signOut("Sign in again."));
} else {
  showSignIn();
}
