// The manager's daily review: a shop day's unrecovered items with how fast they were worked, a sample of recorded
// calls per CSR to listen to, and the end-of-day list of open items with one-click reassign or escalate.

import { api, apiBlob, query } from "./api.js";
import { field, fill, h, notify } from "./dom.js";
import { formatPhone } from "./format.js";
import { statusLabel, typeLabel } from "./labels.js";
import { addDays } from "./shop-time.js";

const yes = (value) => (value ? "yes" : "no");

function unrecoveredTable(review, labels) {
  if (review.unrecovered.length === 0) {
    return h("p", { class: "empty" }, review.total === 0
      ? "No calls or callbacks came in that day."
      : `All ${review.total} item${review.total === 1 ? "" : "s"} of that day were recovered.`);
  }
  return h("table", { class: "data" },
    h("thead", {}, h("tr", {}, ["Caller", "Type", "Status", "Owner", "Minutes to first attempt", "Second attempt", "SMS", "Outcome"].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, review.unrecovered.map(({ item, minutesToFirstAttempt, secondAttempt, smsSent }) => h("tr", {},
      h("td", {}, h("a", { href: `#/queue/open/${item.id}` }, formatPhone(item.phone)), item.accountName ? ` · ${item.accountName}` : ""),
      h("td", {}, typeLabel(item.type)),
      h("td", {}, statusLabel(item.status)),
      h("td", {}, item.primaryOwner?.name ?? "—"),
      h("td", { class: minutesToFirstAttempt === null || minutesToFirstAttempt > 10 ? "bad" : "good" }, minutesToFirstAttempt ?? "never"),
      h("td", {}, yes(secondAttempt)),
      h("td", {}, yes(smsSent)),
      h("td", {}, item.outcome ? labels.outcome(item.outcome) : "open")))));
}

/** Plays one recorded call through the service (a blob, so no link grants access); its URL is kept to give back. */
function player(sample, urls) {
  if (!sample.recordingSid) { return h("span", { class: "hint" }, "(recording not delivered yet)"); }
  const audio = h("audio", { controls: true, preload: "none", hidden: true });
  const button = h("button", { type: "button", onclick: async () => {
    try {
      const url = URL.createObjectURL(await apiBlob(`/api/recoveries/${sample.itemId}/attempts/${sample.attemptId}/recording`));
      urls.push(url);
      audio.src = url;
      audio.hidden = false;
      button.hidden = true;
      await audio.play().catch(() => {});
    } catch (error) { notify(error.message, "error"); }
  } }, "▶ Listen");
  return h("span", {}, button, audio);
}

function recordingsList(review, time, urls) {
  const byCsr = Map.groupBy(review.recordings, (sample) => sample.csrName);
  if (byCsr.size === 0) {
    return h("p", { class: "empty" }, "No recorded, answered callbacks that day (callbacks are recorded only where the shop has turned recording on).");
  }
  return [...byCsr].map(([name, samples]) => h("div", { class: "recordings" }, h("h3", {}, name),
    h("ul", {}, samples.map((sample) => h("li", {}, `${time.dateTime(sample.startedAt)} · ${sample.recordingSeconds ?? "?"} s `, player(sample, urls))))));
}

/** Posts a manager's action on an item, then reloads the list. */
async function act(path, body, done, reload) {
  try {
    await api(path, { method: "POST", body });
    notify(done);
    reload();
  } catch (error) { notify(error.message, "error"); }
}

function endOfDayRow(item, staff, reload) {
  const others = staff.filter((person) => person.id !== item.primaryOwner?.id);
  const target = h("select", { "aria-label": `Reassign ${formatPhone(item.phone)} to` },
    others.map((person) => h("option", { value: person.id }, person.name)));
  // The new owner's backup is the old owner, or else anyone else on the team.
  const reassign = () => {
    const primary = target.value;
    const backup = item.primaryOwner?.id ?? staff.find((person) => person.id !== primary)?.id;
    act(`/api/recoveries/${item.id}/reassign`, { primaryOwnerId: primary, backupOwnerId: backup }, "Reassigned.", reload);
  };
  return h("tr", { dataset: { itemId: item.id } },
    h("td", {}, h("a", { href: `#/queue/open/${item.id}` }, formatPhone(item.phone))),
    h("td", {}, typeLabel(item.type)),
    h("td", {}, statusLabel(item.status)),
    h("td", {}, item.primaryOwner?.name ?? "nobody"),
    h("td", {}, target, " ", h("button", { type: "button", disabled: others.length === 0, onclick: reassign }, "Reassign")),
    h("td", {}, item.status === "escalated" ? "escalated"
      : h("button", { type: "button", onclick: () => act(`/api/recoveries/${item.id}/escalate`, {}, "Escalated.", reload) }, "Escalate")));
}

function endOfDayList(list, staff, reload) {
  return [h("p", {}, `${list.items.length} open · ${list.unassigned} without an owner · ${list.limbo} parked in limbo`),
    list.items.length === 0 ? h("p", { class: "empty" }, "Nothing open: a clean close.") : h("table", { class: "data" },
      h("thead", {}, h("tr", {}, ["Caller", "Type", "Status", "Owner", "Reassign to", ""].map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, list.items.map((item) => endOfDayRow(item, staff, reload))))];
}

export function render(container, context) {
  let disposed = false;
  const urls = [];
  const time = context.time;
  const today = time.today();
  const date = h("input", { type: "date", value: addDays(today, -1), max: today });
  const unrecovered = h("div");
  const recordings = h("div");
  const endOfDay = h("div");
  fill(container, h("section", { class: "review" },
    h("h1", {}, "Daily review"),
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); loadDaily(); } },
      field(`Day (shop time, ${time.zoneName()})`, date), h("button", { type: "submit" }, "Show")),
    h("h2", {}, "Not recovered"), unrecovered,
    h("h2", {}, "Recorded calls to listen to"), recordings,
    h("h2", {}, "End of day: open items"), endOfDay));

  async function loadDaily() {
    try {
      const [review, labels] = await Promise.all([api(`/api/review/daily${query({ date: date.value })}`), context.dispositions()]);
      if (disposed) { return; }
      fill(unrecovered, unrecoveredTable(review, labels));
      fill(recordings, recordingsList(review, time, urls));
    } catch (error) {
      fill(unrecovered, h("p", { class: "error" }, error.message));
    }
  }

  async function loadEndOfDay() {
    try {
      const [list, staff] = await Promise.all([api("/api/review/end-of-day"), api("/api/staff")]);
      if (disposed) { return; }
      fill(endOfDay, endOfDayList(list, staff, loadEndOfDay));
    } catch (error) {
      fill(endOfDay, h("p", { class: "error" }, error.message));
    }
  }

  loadDaily();
  loadEndOfDay();
  return () => { disposed = true; for (const url of urls) { URL.revokeObjectURL(url); } };
}
