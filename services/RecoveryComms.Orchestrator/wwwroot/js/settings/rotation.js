// The weekly rotation (GET/PUT /api/rotation): each weekday's primary, backup and manager, saved a day at a time.

import { api } from "../api.js";
import { fill, h, notify } from "../dom.js";

const capital = (text) => text[0].toUpperCase() + text.slice(1);

function personSelect(label, person, staff, roles) {
  return h("select", { "aria-label": label },
    h("option", { value: "" }, "—"),
    staff.filter((member) => roles.includes(member.role)).map((member) => h("option", { value: member.id, selected: member.id === person?.id }, member.name)));
}

/** What a weekday's row says when it does not name both a primary and a backup (new callbacks then go to the fallback owners). */
function gapText(day) {
  if (day.primary && day.backup) { return ""; }
  return day.primary || day.backup ? "Only one owner: the fallback owners fill in." : "No rotation: the fallback owners take this day.";
}

function dayRow(day, staff, changed) {
  const name = capital(day.weekday);
  const primary = personSelect(`${day.weekday} primary`, day.primary, staff, ["csr", "manager"]);
  const backup = personSelect(`${day.weekday} backup`, day.backup, staff, ["csr", "manager"]);
  const manager = personSelect(`${day.weekday} manager`, day.manager, staff, ["manager"]);
  const save = async () => {
    try {
      await api(`/api/rotation/${day.weekday}`, { method: "PUT", body: {
        primaryUserId: primary.value || null, backupUserId: backup.value || null, managerUserId: manager.value || null,
      } });
      notify(`${name} saved.`);
      day.primary = primary.value ? { id: primary.value } : null;
      day.backup = backup.value ? { id: backup.value } : null;
      fill(gap, gapText(day));
      changed();
    } catch (error) { notify(error.message, "error"); }
  };
  const gap = h("td", { class: "warning" }, gapText(day));
  return h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, primary), h("td", {}, backup), h("td", {}, manager),
    h("td", {}, h("button", { type: "button", onclick: save }, "Save")), gap);
}

/** The rotation table in `container`; `changed` runs after a day is saved (the console reads its set-up warnings again). */
export async function renderRotation(container, isDisposed, changed = () => {}) {
  try {
    const [week, staff] = await Promise.all([api("/api/rotation"), api("/api/staff")]);
    if (isDisposed()) { return; }
    fill(container, h("table", { class: "data" },
      h("thead", {}, h("tr", {}, ["Day", "Primary", "Backup", "Manager", "", ""].map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, week.map((day) => dayRow(day, staff, changed)))));
  } catch (error) {
    fill(container, h("p", { class: "error" }, error.message));
  }
}
