// The CSR's live queue: saved views as tabs with counts, one row per recovery item in priority order, a countdown to
// the 5- and 15-minute marks on every row, and the selected item's panel beside the list. Rows change in place when
// the live feed says an item changed, so a new missed call or another CSR's claim shows without a reload.

import { api, query } from "./api.js";
import { age, clock, fill, formatPhone, h, StatusLabels, TypeLabels } from "./dom.js";
import * as itemPanel from "./item.js";

export const Views = [
  { name: "abandoned", label: "Abandoned — 24 h" },
  { name: "voicemail", label: "Voicemails — 24 h" },
  { name: "after-hours", label: "After-hours" },
  { name: "mine", label: "My callbacks" },
  { name: "escalated", label: "Escalated" },
  { name: "open", label: "All open" },
];

const DayMs = 24 * 3600 * 1000;
const WarnSeconds = 120;

/** Whether an item belongs in a view: the same rules as the server's views (Queue/ItemViews.cs). */
function belongs(view, item, me, now) {
  const open = item.status !== "completed";
  switch (view) {
    case "abandoned": return open && item.type === "abandoned" && Date.parse(item.createdAt) >= now - DayMs;
    case "voicemail": return open && item.type === "voicemail" && Date.parse(item.createdAt) >= now - DayMs;
    case "after-hours": return open && item.afterHours;
    case "mine": return open && (item.primaryOwner?.id === me || item.backupOwner?.id === me);
    case "escalated": return item.status === "escalated";
    default: return open;
  }
}

/** The server's priority order: priority, then the item's sort time, then its id. */
function compare(a, b) {
  return a.priority - b.priority || Date.parse(a.sortAt) - Date.parse(b.sortAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The next clock mark an item is racing: the first-attempt target (5 min), then the SLA (15 min), or a promised
 * callback's due time. Null when the clock no longer matters (an attempt was made, or the item is closed).
 */
export function nextMark(item, now) {
  if (item.status === "completed" || item.status === "limbo") { return null; }
  if (item.dueAt) { return { label: "due", at: Date.parse(item.dueAt) }; }
  if (item.firstAttemptAt || item.attempts > 0) { return null; }
  const starts = Date.parse(item.clockStartsAt);
  if (starts > now) { return { label: "clock starts", at: starts, waiting: true }; }
  const first = Date.parse(item.firstAttemptDueAt);
  if (now < first) { return { label: "to 5-min mark", at: first, total: first - starts }; }
  return { label: "to 15-min mark", at: Date.parse(item.slaDueAt), total: Date.parse(item.slaDueAt) - first };
}

/** Updates a countdown element: text and a colour class (ok, near, over). */
export function paintCountdown(element, item, now) {
  const mark = nextMark(item, now);
  if (!mark) {
    element.textContent = item.attempts > 0 ? "attempted" : "";
    element.className = "countdown done";
    return;
  }
  const seconds = Math.round((mark.at - now) / 1000);
  if (mark.waiting) {
    element.textContent = `clock starts ${new Date(mark.at).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" })}`;
    element.className = "countdown waiting";
    return;
  }
  const over = seconds < 0;
  element.textContent = over ? `${clock(-seconds)} past ${mark.label.replace("to ", "")}` : `${clock(seconds)} ${mark.label}`;
  element.className = `countdown ${over ? "over" : seconds <= WarnSeconds ? "near" : "ok"}`;
}

function attemptsText(item) {
  const parts = [`${Math.min(item.attempts, 2)}/2 calls`];
  parts.push(item.smsSent ? "SMS sent" : "no SMS");
  if (item.voicemailLeft) { parts.push("voicemail left"); }
  return parts.join(" · ");
}

function owner(person) { return person ? person.name : "—"; }

function firstLine(text) { return text ? text.split(/\r?\n/)[0] : ""; }

function rowFor(item, view) {
  const countdown = h("span", { class: "countdown" });
  const row = h("tr", { dataset: { itemId: item.id, phone: item.phone || "" } },
    h("td", { class: "caller" },
      h("a", { href: `#/queue/${view}/${item.id}`, class: "open-item" }, formatPhone(item.phone)),
      item.accountName ? h("span", { class: "account" }, item.accountName) : null,
      item.occurrences > 1 ? h("span", { class: "badge repeat", title: "Calls merged into this item" }, `${item.occurrences} calls`) : null),
    h("td", { class: "type" }, TypeLabels[item.type] || item.type, item.afterHours ? h("span", { class: "badge" }, "after hours") : null),
    h("td", { class: "timing" }, h("span", { class: "age" }, age(item.createdAt)), countdown),
    h("td", { class: "owners" }, h("span", {}, owner(item.primaryOwner)), h("span", { class: "backup" }, `backup: ${owner(item.backupOwner)}`)),
    h("td", { class: "status" }, h("span", { class: `status-badge s-${item.status}` }, StatusLabels[item.status] || item.status)),
    h("td", { class: "progress" }, attemptsText(item)),
    h("td", { class: "transcript" }, firstLine(item.transcript)));
  row.item = item;
  row.countdown = countdown;
  paintCountdown(countdown, item, Date.now());
  return row;
}

const IdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function render(container, context, [view = "open", selectedId] = []) {
  if (!Views.some((candidate) => candidate.name === view)) { view = "open"; }
  // Only an item id selects an item: the id goes into API paths, so nothing else from the address may.
  if (selectedId && !IdPattern.test(selectedId)) { selectedId = undefined; }
  const me = context.me.id;
  const items = new Map();
  const rows = new Map();
  const pending = new Map();
  let frame = 0;
  let disposed = false;

  const countElements = new Map();
  const tabs = h("div", { class: "tabs", role: "navigation", "aria-label": "Queue views" },
    Views.map((candidate) => {
      const count = h("span", { class: "count" }, "");
      countElements.set(candidate.name, count);
      return h("a", { href: `#/queue/${candidate.name}`, class: "tab", "aria-current": candidate.name === view ? "page" : null }, candidate.label, " ", count);
    }));
  const body = h("tbody");
  const empty = h("p", { class: "empty", hidden: true }, "Nothing waiting here. New calls appear as they come in.");
  const table = h("table", { class: "queue-table", id: "queue" },
    h("caption", { class: "visually-hidden" }, `${Views.find((v) => v.name === view).label}, in priority order`),
    h("thead", {}, h("tr", {}, ["Caller", "Type", "Age · clock", "Owners", "Status", "Attempts", "Transcript"].map((name) => h("th", { scope: "col" }, name)))),
    body);
  const detail = h("aside", { class: "detail", "aria-label": "Selected item" });
  const layout = h("section", { class: `queue ${selectedId ? "has-selection" : ""}` },
    tabs, h("div", { class: "queue-body" }, h("div", { class: "list" }, table, empty), detail));
  fill(container, layout);

  // ---- rows ----------------------------------------------------------------------------------------------------
  // The view's items in priority order, kept sorted as changes arrive: a change costs a binary search and one DOM
  // move, not a sort of the whole queue, so a burst of new calls into a queue of thousands stays cheap.
  const sorted = [];

  function place(item, row) {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compare(sorted[middle], item) <= 0) { low = middle + 1; } else { high = middle; }
    }
    sorted.splice(low, 0, item);
    const next = sorted[low + 1];
    body.insertBefore(row, next ? rows.get(next.id) : null);
  }

  function unplace(item) {
    const index = sorted.indexOf(item);
    if (index >= 0) { sorted.splice(index, 1); }
    const row = rows.get(item.id);
    visible.delete(row);
    row?.remove();
    rows.delete(item.id);
    items.delete(item.id);
  }

  function add(item) {
    const row = rowFor(item, view);
    if (item.id === selectedId) { row.classList.add("selected"); }
    items.set(item.id, item);
    rows.set(item.id, row);
    place(item, row);
    seen.observe(row);
  }

  function apply() {
    frame = 0;
    const now = Date.now();
    for (const [id, item] of pending) {
      const known = items.get(id);
      if (known && known.version > item.version) { continue; }
      if (known) { unplace(known); }
      if (belongs(view, item, me, now)) { add(item); }
    }
    pending.clear();
    empty.hidden = sorted.length > 0;
  }

  // Countdowns tick only on the rows on screen (a queue of thousands would otherwise restyle every row each second).
  const visible = new Set();
  const seen = new IntersectionObserver((entries) => {
    const now = Date.now();
    for (const entry of entries) {
      if (entry.isIntersecting) {
        visible.add(entry.target);
        paintCountdown(entry.target.countdown, entry.target.item, now);
      } else {
        visible.delete(entry.target);
      }
    }
  });

  function queueChange(item) {
    pending.set(item.id, item);
    if (!frame) { frame = requestAnimationFrame(apply); }
  }

  // ---- counts (debounced: a burst of 200 calls a second makes one request) -------------------------------------
  let countsTimer = 0;
  async function loadCounts() {
    countsTimer = 0;
    try {
      const { counts } = await api("/api/recoveries/counts");
      for (const [name, element] of countElements) {
        const value = counts[name] ?? 0;
        element.textContent = value >= 1000 ? "1000+" : String(value);
      }
    } catch { /* the badges keep their last value */ }
  }
  function countsSoon() { if (!countsTimer) { countsTimer = setTimeout(loadCounts, 1000); } }

  async function load() {
    const { items: list } = await api(`/api/recoveries${query({ view, limit: 1000 })}`);
    if (disposed) { return; }
    // A change that arrived on the feed while the list was being read is newer than the list: it wins.
    const newer = new Map([...items.values(), ...pending.values()].map((item) => [item.id, item]));
    for (const item of [...sorted]) { unplace(item); }
    // The list comes in priority order: appending keeps it so.
    for (const item of list) {
      if ((newer.get(item.id)?.version ?? -1) > item.version) { pending.set(item.id, newer.get(item.id)); continue; }
      const row = rowFor(item, view);
      if (item.id === selectedId) { row.classList.add("selected"); }
      items.set(item.id, item);
      rows.set(item.id, row);
      sorted.push(item);
      seen.observe(row);
    }
    body.replaceChildren(...sorted.map((item) => rows.get(item.id)));
    empty.hidden = sorted.length > 0;
    if (pending.size && !frame) { frame = requestAnimationFrame(apply); }
    loadCounts();
  }

  const stopItems = context.onItem((item) => { queueChange(item); countsSoon(); });
  const stopReconnect = context.onReconnect(() => { load().catch(() => {}); });
  const ticker = setInterval(() => {
    const now = Date.now();
    for (const row of visible) { paintCountdown(row.countdown, row.item, now); }
  }, 1000);

  let closePanel = () => {};
  function select(id) {
    closePanel();
    closePanel = () => {};
    rows.get(selectedId)?.classList.remove("selected");
    selectedId = id;
    rows.get(id)?.classList.add("selected");
    layout.classList.toggle("has-selection", Boolean(id));
    if (id) {
      closePanel = itemPanel.render(detail, context, id, view);
    } else {
      fill(detail, h("p", { class: "hint" }, "Pick a caller to see the talk track, call, text and record the outcome."));
    }
  }
  select(selectedId);

  // "rc:queue-ready": the rows have been laid out and painted (the frame after the one that drew them), for the
  // benchmark's "interactive" figure.
  load().then(() => requestAnimationFrame(() => setTimeout(() => performance.mark("rc:queue-ready")))).catch((error) => {
    fill(body, h("tr", {}, h("td", { colspan: 7, class: "error" }, `The queue could not be loaded: ${error.message}`)));
  });

  function update([nextView = "open", nextId] = []) {
    if (nextView !== view) { return false; }
    if (nextId && !IdPattern.test(nextId)) { nextId = undefined; }
    if (nextId !== selectedId) { select(nextId); }
    return true;
  }

  const leave = () => {
    disposed = true;
    stopItems();
    stopReconnect();
    clearInterval(ticker);
    seen.disconnect();
    clearTimeout(countsTimer);
    if (frame) { cancelAnimationFrame(frame); }
    closePanel();
  };
  return { leave, update };
}
