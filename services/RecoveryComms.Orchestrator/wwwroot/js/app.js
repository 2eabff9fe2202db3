// The console's entry point: sign-in, the header and its navigation by role, and the hash router that shows one page
// at a time (see docs/console.md for the map of pages and the routes each one calls).

import { api, session, whenUnauthorized } from "./api.js";
import * as compliance from "./compliance.js";
import { createContext } from "./context.js";
import { fill, h } from "./dom.js";
import * as queue from "./queue/page.js";
import * as review from "./review.js";
import * as scorecard from "./scorecard.js";
import * as settings from "./settings/page.js";
import { showSignIn } from "./sign-in.js";

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

const pagesFor = (role) => Pages.filter((page) => page.roles.includes(role));

function leave() {
  leavePage();
  leavePage = () => {};
  current = null;
}

function signOut(message) {
  session.key = null;
  context?.close();
  context = null;
  leave();
  history.replaceState(null, "", "#/");
  showSignIn(root, start, message);
}

function header(me, pages) {
  const nav = h("nav", { "aria-label": "Pages" },
    h("ul", {}, pages.map((page) => h("li", {}, h("a", { href: `#/${page.name}`, dataset: { page: page.name } }, page.label)))));
  return h("header", { class: "top" },
    h("a", { class: "brand", href: "#/" }, "RecoveryComms"),
    nav,
    context.statusElement,
    h("span", { class: "who" }, `${me.name} · ${me.role}`),
    h("button", { type: "button", class: "link", onclick: () => signOut() }, "Sign out"));
}

async function start() {
  const me = await api("/api/me");
  context = await createContext(me);
  const pages = pagesFor(me.role);
  const setup = h("section", { id: "setup", class: "setup", role: "status", "aria-label": "Set-up needed" });
  const showSetup = () => {
    setup.hidden = context.setup.length === 0;
    fill(setup, h("strong", {}, "Set-up needed: "), h("ul", {}, context.setup.map((warning) => h("li", {}, warning))));
  };
  context.onShop(showSetup);
  showSetup();
  fill(root, header(me, pages), setup, h("div", { id: "page", tabindex: "-1" }));
  if (!location.hash || location.hash === "#/") {
    history.replaceState(null, "", `#/${pages[0]?.name ?? "queue"}`);
  }
  route();
}

function address() {
  return location.hash.replace(/^#\/?/, "").split("/").map((part) => {
    try { return decodeURIComponent(part); } catch { return ""; }
  });
}

function notFound(container) {
  const first = pagesFor(context.me.role)[0];
  fill(container, h("p", {}, "No such page. "), first ? h("a", { href: `#/${first.name}` }, `Go to ${first.label}`) : null);
}

function denied(container, page) {
  fill(container, h("section", { class: "denied" },
    h("h1", {}, "Not available to you"),
    h("p", {}, `The ${page.label} pages are for ${page.roles.join(", ")} staff. Ask a manager if you need access.`)));
}

function route() {
  if (!context) { return; }
  const [name, ...rest] = address();
  const page = Pages.find((candidate) => candidate.name === name);
  const container = document.getElementById("page");
  // A page that can follow a change of its own address (the queue selecting another item) does so in place.
  if (current && current.name === name && current.update?.(rest)) { markNav(name); return; }
  leave();
  markNav(name);
  if (!page) { notFound(container); return; }
  if (!page.roles.includes(context.me.role)) { denied(container, page); return; }
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
  showSignIn(root, start);
}
