// The manager's daily review: yesterday's unrecovered items with how fast they were worked, a sample of recorded
// calls per CSR to listen to, and the end-of-day list of open items with one-click reassign or escalate.

import { api, apiBlob, query } from "./api.js";
import { dateTime, fill, field, formatPhone, h, isoDate, notify, StatusLabels, TypeLabels } from "./dom.js";

const yes = (value) => (value ? "yes" : "no");

export function render(container, context) {
  let disposed = false;
  const urls = [];
  const yesterday = new Date(Date.now() - 24 * 3600 * 1000);
  const date = h("input", { type: "date", value: isoDate(yesterday), max: isoDate() });
  const unrecovered = h("div");
  const recordings = h("div");
  const endOfDay = h("div");
  fill(container, h("section", { class: "review" },
    h("h1", {}, "Daily review"),
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); loadDaily(); } },
      field("Day", date), h("button", { type: "submit" }, "Show")),
    h("h2", {}, "Not recovered"), unrecovered,
    h("h2", {}, "Recorded calls to listen to"), recordings,
    h("h2", {}, "End of day: open items"), endOfDay));

  async function loadDaily() {
    try {
      const review = await api(`/api/review/daily${query({ date: date.value })}`);
      if (disposed) { return; }
      fill(unrecovered, review.unrecovered.length === 0
        ? h("p", { class: "empty" }, "Every item of that day was recovered.")
        : h("table", { class: "data" },
          h("thead", {}, h("tr", {}, ["Caller", "Type", "Status", "Owner", "Minutes to first attempt", "Second attempt", "SMS", "Outcome"].map((name) => h("th", { scope: "col" }, name)))),
          h("tbody", {}, review.unrecovered.map(({ item, minutesToFirstAttempt, secondAttempt, smsSent }) => h("tr", {},
            h("td", {}, h("a", { href: `#/queue/open/${item.id}` }, formatPhone(item.phone)), item.accountName ? ` · ${item.accountName}` : ""),
            h("td", {}, TypeLabels[item.type] || item.type),
            h("td", {}, StatusLabels[item.status] || item.status),
            h("td", {}, item.primaryOwner?.name ?? "—"),
            h("td", { class: minutesToFirstAttempt === null || minutesToFirstAttempt > 10 ? "bad" : "good" }, minutesToFirstAttempt ?? "never"),
            h("td", {}, yes(secondAttempt)),
            h("td", {}, yes(smsSent)),
            h("td", {}, item.outcome ?? "open"))))));
      const byCsr = Map.groupBy(review.recordings, (sample) => sample.csrName);
      fill(recordings, byCsr.size === 0
        ? h("p", { class: "empty" }, "No recorded, answered callbacks that day (recording is Recovery:RecordCallbacks).")
        : [...byCsr].map(([name, samples]) => h("div", { class: "recordings" }, h("h3", {}, name),
          h("ul", {}, samples.map((sample) => h("li", {}, `${dateTime(sample.startedAt)} · ${sample.recordingSeconds ?? "?"} s `, player(sample)))))));
    } catch (error) {
      fill(unrecovered, h("p", { class: "error" }, error.message));
    }
  }

  function player(sample) {
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

  let staff = [];
  async function loadEndOfDay() {
    try {
      const [list, people] = await Promise.all([api("/api/review/end-of-day"), api("/api/staff")]);
      if (disposed) { return; }
      staff = people;
      fill(endOfDay,
        h("p", {}, `${list.items.length} open · ${list.unassigned} without an owner · ${list.limbo} parked in limbo`),
        list.items.length === 0 ? h("p", { class: "empty" }, "Nothing open: a clean close.") : h("table", { class: "data" },
          h("thead", {}, h("tr", {}, ["Caller", "Type", "Status", "Owner", "Reassign to", ""].map((name) => h("th", { scope: "col" }, name)))),
          h("tbody", {}, list.items.map(endOfDayRow))));
    } catch (error) {
      fill(endOfDay, h("p", { class: "error" }, error.message));
    }
  }

  function endOfDayRow(item) {
    const others = staff.filter((person) => person.id !== item.primaryOwner?.id);
    const target = h("select", { "aria-label": `Reassign ${formatPhone(item.phone)} to` },
      others.map((person) => h("option", { value: person.id }, person.name)));
    return h("tr", { dataset: { itemId: item.id } },
      h("td", {}, h("a", { href: `#/queue/open/${item.id}` }, formatPhone(item.phone))),
      h("td", {}, TypeLabels[item.type] || item.type),
      h("td", {}, StatusLabels[item.status] || item.status),
      h("td", {}, item.primaryOwner?.name ?? "nobody"),
      h("td", {}, target, " ", h("button", { type: "button", disabled: others.length === 0, onclick: async () => {
        // The new owner's backup is the old owner, or else anyone else on the team.
        const primary = target.value;
        const backup = item.primaryOwner?.id ?? staff.find((person) => person.id !== primary)?.id;
        try {
          await api(`/api/recoveries/${item.id}/reassign`, { method: "POST", body: { primaryOwnerId: primary, backupOwnerId: backup } });
          notify("Reassigned.");
          loadEndOfDay();
        } catch (error) { notify(error.message, "error"); }
      } }, "Reassign")),
      h("td", {}, item.status === "escalated" ? "escalated" : h("button", { type: "button", onclick: async () => {
        try {
          await api(`/api/recoveries/${item.id}/escalate`, { method: "POST", body: {} });
          notify("Escalated.");
          loadEndOfDay();
        } catch (error) { notify(error.message, "error"); }
      } }, "Escalate")));
  }

  loadDaily();
  loadEndOfDay();
  return () => { disposed = true; for (const url of urls) { URL.revokeObjectURL(url); } };
}
