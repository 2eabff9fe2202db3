// The item's header: who called, the type and status, the countdown, the owners and the loop's progress, the
// transcript, and the outcome once there is one (in words, from GET /api/dispositions).

import { fill, h } from "../dom.js";
import { formatPhone } from "../format.js";
import { emergencyText, statusLabel, typeLabel } from "../labels.js";

function outcomeText(item, labels) {
  if (!item.outcome) { return null; }
  const reason = item.reason ? ` (${labels.reason(item.reason)})` : "";
  return `Outcome: ${labels.outcome(item.outcome)}${reason}${item.note ? ` — ${item.note}` : ""}`;
}

export function paintHeader(element, item, countdown, labels) {
  const outcome = outcomeText(item, labels);
  fill(element,
    h("h2", {}, formatPhone(item.phone), item.accountName ? h("span", { class: "account" }, ` · ${item.accountName}`) : null),
    h("p", { class: "meta" },
      h("span", { class: "badge" }, typeLabel(item.type)),
      " ",
      h("span", { class: `status-badge s-${item.status}` }, statusLabel(item.status)),
      item.occurrences > 1 ? h("span", { class: "badge repeat" }, `${item.occurrences} calls`) : null,
      " ", countdown),
    h("p", { class: "meta" },
      `Primary: ${item.primaryOwner?.name ?? "nobody"} · Backup: ${item.backupOwner?.name ?? "nobody"} · `,
      `${Math.min(item.attempts, 2)}/2 calls · ${item.smsSent ? "SMS sent" : "no SMS yet"}${item.voicemailLeft ? " · voicemail left" : ""}`),
    item.emergency ? h("p", { class: "emergency" }, emergencyText(item.emergency)) : null,
    item.transcript ? h("blockquote", { class: "transcript" }, item.transcript) : null,
    item.cannotCallBack ? h("p", { class: "warning" }, "The caller's number was withheld: there is no one to call back.") : null,
    outcome ? h("p", { class: "outcome" }, outcome) : null);
}
