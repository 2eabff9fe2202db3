// One queue row: the caller, the type, the age and countdown, the owners, the status, the loop's progress and the
// transcript's first line.

import { paintCountdown } from "../countdown.js";
import { h } from "../dom.js";
import { age, formatPhone } from "../format.js";
import { emergencyText, statusLabel, typeLabel } from "../labels.js";

function progress(item) {
  const parts = [`${Math.min(item.attempts, 2)}/2 calls`, item.smsSent ? "SMS sent" : "no SMS"];
  if (item.voicemailLeft) { parts.push("voicemail left"); }
  return parts.join(" · ");
}

const owner = (person) => (person ? person.name : "—");
const firstLine = (text) => (text ? text.split(/\r?\n/)[0] : "");

/** A row for `item` in `view`; the row keeps its item and countdown element for the ticker. */
export function rowFor(item, view, style) {
  const countdown = h("span", { class: "countdown" });
  const row = h("tr", { dataset: { itemId: item.id, phone: item.phone || "" } },
    h("td", { class: "caller" },
      h("a", { href: `#/queue/${view}/${item.id}`, class: "open-item" }, formatPhone(item.phone)),
      item.accountName ? h("span", { class: "account" }, item.accountName) : null,
      item.occurrences > 1 ? h("span", { class: "badge repeat", title: "Calls merged into this item" }, `${item.occurrences} calls`) : null),
    h("td", { class: "type" }, typeLabel(item.type), item.afterHours ? h("span", { class: "badge" }, "after hours") : null,
      item.emergency ? h("span", { class: "badge emergency", title: emergencyText(item.emergency) }, "emergency") : null),
    h("td", { class: "timing" }, h("span", { class: "age" }, age(item.createdAt)), countdown),
    h("td", { class: "owners" }, h("span", {}, owner(item.primaryOwner)), h("span", { class: "backup" }, `backup: ${owner(item.backupOwner)}`)),
    h("td", { class: "status" }, h("span", { class: `status-badge s-${item.status}` }, statusLabel(item.status))),
    h("td", { class: "progress" }, progress(item)),
    h("td", { class: "transcript" }, firstLine(item.transcript)));
  row.item = item;
  row.countdown = countdown;
  paintCountdown(countdown, item, Date.now(), style);
  return row;
}
