// The weekly rotation (GET/PUT /api/rotation): each weekday's primary, backup and manager, saved a day at a time.

import { api } from "../api.js";
import { fill, h, notify } from "../dom.js";

const capital = (text) => text[0].toUpperCase() + text.slice(1);

function personSelect(label, person, staff, roles) {
  return h("select", { "aria-label": label },
    h("option", { value: "" }, "—"),
    staff.filter((member) => roles.includes(member.role)).map((member) => h("option", { value: member.id, selected: member.id === person?.id }, member.name)));
}

function dayRow(day, staff) {
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
    } catch (error) { notify(error.message, "error"); }
  };
  return h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, primary), h("td", {}, backup), h("td", {}, manager),
    h("td", {}, h("button", { type: "button", onclick: save }, "Save")));
}

export async function renderRotation(container, isDisposed) {
  try {
    const [week, staff] = await Promise.all([api("/api/rotation"), api("/api/staff")]);
    if (isDisposed()) { return; }
    fill(container, h("table", { class: "data" },
      h("thead", {}, h("tr", {}, ["Day", "Primary", "Backup", "Manager", ""].map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, week.map((day) => dayRow(day, staff)))));
  } catch (error) {
    fill(container, h("p", { class: "error" }, error.message));
  }
}
