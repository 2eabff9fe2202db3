// Below the actions: the calls merged into the item, its call attempts (with their recordings, for managers) and
// its whole timeline, newest first, every time in the shop's zone.

import { fill, h } from "../dom.js";
import { formatPhone } from "../format.js";
import { occurrenceLabel, timelineLabel } from "../labels.js";
import { audioButton } from "./audio.js";
import { attemptText } from "./call.js";

function occurrences(detail, time) {
  if (!detail.occurrences.length) { return null; }
  return h("div", {}, h("h3", {}, "Calls from this customer"),
    h("ul", {}, detail.occurrences.map((o) => h("li", {},
      `${time.dateTime(o.occurredAt)} — ${occurrenceLabel(o.kind)}${o.caller ? ` from ${formatPhone(o.caller)}` : ""}`))));
}

/**
 * One timeline entry: when, who, what happened in words, and the entry's kind as the API names it (a small tag, so
 * an entry can be matched with the API's and the CRM's records), then the server's detail.
 */
function entry(row, labels, time) {
  const detail = row.kind === "disposed" ? labels.detail(row.detail) : row.detail;
  return h("li", {},
    h("time", { datetime: row.at }, time.dateTime(row.at)), " ",
    h("strong", {}, row.actorName), " ",
    h("span", { class: "entry" }, timelineLabel(row.kind)), " ",
    h("span", { class: "kind" }, row.kind), detail ? ` — ${detail}` : "");
}

export class Timeline {
  #players = [];

  constructor(element, itemId) {
    this.element = element;
    this.itemId = itemId;
  }

  paint(detail, { me, isManager, time, labels }) {
    this.dispose();
    const attempts = detail.callAttempts.map((attempt, index) => h("li", {},
      `Call ${index + 1} by ${attempt.csrName} at ${time.time(attempt.startedAt)}: ${attemptText(attempt, me)}`,
      attempt.recorded && isManager ? this.#recording(attempt) : null));
    fill(this.element,
      occurrences(detail, time),
      attempts.length ? h("div", {}, h("h3", {}, "Attempts"), h("ul", {}, attempts)) : null,
      h("h3", {}, "Timeline"),
      h("ol", { class: "timeline", reversed: true }, [...detail.timeline].reverse().map((row) => entry(row, labels, time))));
  }

  #recording(attempt) {
    const player = audioButton(`/api/recoveries/${this.itemId}/attempts/${attempt.id}/recording`, "▶ recording", { buttonClass: "link" });
    this.#players.push(player);
    return h("span", {}, " ", player.element);
  }

  dispose() {
    for (const player of this.#players) { player.dispose(); }
    this.#players = [];
  }
}
