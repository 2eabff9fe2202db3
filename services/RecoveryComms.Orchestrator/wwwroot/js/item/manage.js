// A manager's controls on an open item: reassign the primary and backup owners, or escalate.

import { field, fill, h } from "../dom.js";

function ownerSelect(people, selected, allowNone) {
  return h("select", {}, allowNone ? h("option", { value: "" }, "—") : null,
    people.map((person) => h("option", { value: person.id, selected: person.id === selected }, `${person.name} (${person.role})`)));
}

export async function paintManage(element, item, panel) {
  if (!panel.isManager || item.status === "completed") { fill(element); return; }
  const people = await panel.staff();
  const primary = ownerSelect(people, item.primaryOwner?.id, false);
  const backup = ownerSelect(people, item.backupOwner?.id, true);
  fill(element, h("form", { class: "reassign", onsubmit: (event) => {
    event.preventDefault();
    panel.act("reassign", { primaryOwnerId: primary.value, backupOwnerId: backup.value || null }, "Reassigned.").catch(() => {});
  } },
  h("h3", {}, "Manager"),
  h("div", { class: "row" }, field("Primary owner", primary), field("Backup owner", backup)),
  h("button", { type: "submit" }, "Reassign"),
  item.status !== "escalated" ? h("button", { type: "button", onclick: () => panel.act("escalate", {}, "Escalated.").catch(() => {}) }, "Escalate") : null));
}
