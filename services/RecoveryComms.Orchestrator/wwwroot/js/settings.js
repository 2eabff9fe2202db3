// Settings a manager changes without a deploy: hours and zone, ring group, the clock's target windows, callback
// blocks, talk tracks, the SMS template (GET/PUT /api/settings); the weekly primary/backup rotation
// (/api/rotation); and the reason list (/api/dispositions/reasons).

import { api, ApiError } from "./api.js";
import { fill, field, h, notify } from "./dom.js";

const Days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const capital = (text) => text[0].toUpperCase() + text.slice(1);

export function render(container, context) {
  let disposed = false;
  const general = h("div");
  const rotation = h("div");
  const reasons = h("div");
  fill(container, h("section", { class: "settings" },
    h("h1", {}, "Settings"),
    h("p", { class: "hint" }, "Changes apply at once, to items created from now on. Everything is kept with who changed it."),
    general, h("h2", {}, "Primary and backup rotation"), rotation, h("h2", {}, "Reasons"), reasons));

  async function loadGeneral() {
    let settings;
    try {
      settings = await api("/api/settings");
    } catch (error) {
      fill(general, h("p", { class: "error" }, `Settings could not be loaded: ${error.message}`));
      return;
    }
    if (disposed) { return; }
    const inputs = {};
    const text = (name, value, attributes = {}) => (inputs[name] = h("input", { type: "text", value: value ?? "", autocomplete: "off", ...attributes }));
    const area = (name, value) => (inputs[name] = h("textarea", { rows: 3, maxlength: 2000 }, value ?? ""));
    const hours = Days.map((day) => text(`openHours.${day}`, settings.openHours[day] ?? "", { placeholder: "closed", pattern: "\\d{2}:\\d{2}-\\d{2}:\\d{2}" }));
    const errors = h("div", { class: "error", role: "alert" });
    const saved = settings.updatedBy ? `Version ${settings.version}, last changed by ${settings.updatedBy}.` : `Version ${settings.version} (from configuration).`;

    const form = h("form", { class: "settings-form", onsubmit: async (event) => {
      event.preventDefault();
      fill(errors);
      for (const input of Object.values(inputs)) { input.removeAttribute("aria-invalid"); }
      const body = {
        version: settings.version,
        shopName: inputs.shopName.value,
        timeZone: inputs.timeZone.value,
        openHours: Object.fromEntries(Days.map((day) => [day, inputs[`openHours.${day}`].value.trim() || null])),
        ringGroup: inputs.ringGroup.value.split(/[\n,]+/).map((number) => number.trim()).filter(Boolean),
        firstAttemptTarget: inputs.firstAttemptTarget.value,
        sla: inputs.sla.value,
        afterHoursFirstAttemptBy: inputs.afterHoursFirstAttemptBy.value,
        promisedCheckBefore: inputs.promisedCheckBefore.value,
        callbackBlocks: inputs.callbackBlocks.value.split(/[\s,]+/).filter(Boolean),
        smsTemplate: inputs.smsTemplate.value,
        talkTracks: { call: inputs["talkTracks.call"].value, voicemail: inputs["talkTracks.voicemail"].value, followUp: inputs["talkTracks.followUp"].value },
      };
      try {
        await api("/api/settings", { method: "PUT", body });
        context.settingsChanged();
        notify("Settings saved.");
        loadGeneral();
      } catch (error) {
        if (error instanceof ApiError && error.status === 400 && Object.keys(error.errors).length) {
          fill(errors, h("p", {}, "Not saved:"), h("ul", {}, Object.entries(error.errors).map(([name, messages]) => {
            inputs[name]?.setAttribute("aria-invalid", "true");
            return h("li", {}, `${name}: ${messages.join(" ")}`);
          })));
        } else if (error instanceof ApiError && error.status === 409) {
          fill(errors, h("p", {}, "Someone else changed the settings meanwhile. "),
            h("button", { type: "button", onclick: loadGeneral }, "Load their version"));
        } else {
          fill(errors, h("p", {}, error.message));
        }
      }
    } },
    h("p", { class: "hint" }, saved),
    h("fieldset", {}, h("legend", {}, "Shop"),
      field("Shop name (the SMS starts with it)", text("shopName", settings.shopName, { maxlength: 40 })),
      field("Time zone (IANA, e.g. America/Chicago)", text("timeZone", settings.timeZone)),
      h("div", { class: "hours" }, Days.map((day, index) => field(capital(day), hours[index], "HH:mm-HH:mm, empty when closed")))),
    h("fieldset", {}, h("legend", {}, "Ring group"),
      field("Phones that ring for incoming calls (one per line)", (inputs.ringGroup = h("textarea", { rows: 3 }, settings.ringGroup.join("\n"))))),
    h("fieldset", {}, h("legend", {}, "Callback targets"),
      h("div", { class: "row" },
        field("Backup takes over after", text("firstAttemptTarget", settings.firstAttemptTarget), "hh:mm:ss"),
        field("Escalate to the manager after", text("sla", settings.sla), "hh:mm:ss"),
        field("After-hours calls first attempt by", text("afterHoursFirstAttemptBy", settings.afterHoursFirstAttemptBy), "HH:mm shop time"),
        field("Check promised callbacks before", text("promisedCheckBefore", settings.promisedCheckBefore), "hh:mm:ss")),
      field("Callback blocks (when follow-ups are worked)", text("callbackBlocks", settings.callbackBlocks.join(", ")), "HH:mm, separated by commas")),
    h("fieldset", {}, h("legend", {}, "Words"),
      field("SMS template", area("smsTemplate", settings.smsTemplate), "{shop}, {windowA}, {windowB} and {issue} are filled in; it must say how to reply STOP."),
      field("Talk track: returning a call", area("talkTracks.call", settings.talkTracks.call), "{customer}, {csr} and {shop} are filled in."),
      field("Talk track: after a voicemail", area("talkTracks.voicemail", settings.talkTracks.voicemail)),
      field("Talk track: follow-ups", area("talkTracks.followUp", settings.talkTracks.followUp))),
    errors,
    h("button", { type: "submit", class: "primary" }, "Save settings"));
    fill(general, form);
  }

  async function loadRotation() {
    try {
      const [week, staff] = await Promise.all([api("/api/rotation"), api("/api/staff")]);
      if (disposed) { return; }
      const pick = (label, person, roles) => h("select", { "aria-label": label },
        h("option", { value: "" }, "—"),
        staff.filter((member) => roles.includes(member.role)).map((member) => h("option", { value: member.id, selected: member.id === person?.id }, member.name)));
      fill(rotation, h("table", { class: "data" },
        h("thead", {}, h("tr", {}, ["Day", "Primary", "Backup", "Manager", ""].map((name) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, week.map((day) => {
          const primary = pick(`${day.weekday} primary`, day.primary, ["csr", "manager"]);
          const backup = pick(`${day.weekday} backup`, day.backup, ["csr", "manager"]);
          const manager = pick(`${day.weekday} manager`, day.manager, ["manager"]);
          return h("tr", {}, h("th", { scope: "row" }, capital(day.weekday)), h("td", {}, primary), h("td", {}, backup), h("td", {}, manager),
            h("td", {}, h("button", { type: "button", onclick: async () => {
              try {
                await api(`/api/rotation/${day.weekday}`, { method: "PUT", body: {
                  primaryUserId: primary.value || null, backupUserId: backup.value || null, managerUserId: manager.value || null,
                } });
                notify(`${capital(day.weekday)} saved.`);
              } catch (error) { notify(error.message, "error"); }
            } }, "Save")));
        }))));
    } catch (error) {
      fill(rotation, h("p", { class: "error" }, error.message));
    }
  }

  async function loadReasons() {
    try {
      const codes = await api("/api/dispositions");
      if (disposed) { return; }
      const code = h("input", { type: "text", pattern: "[a-z][a-z0-9-]{1,40}", required: true, autocomplete: "off" });
      const label = h("input", { type: "text", maxlength: 80, required: true, autocomplete: "off" });
      fill(reasons,
        h("ul", { class: "reasons" }, codes.reasons.map((reason) => h("li", {}, h("code", {}, reason.code), ` — ${reason.label}`))),
        h("form", { class: "inline", onsubmit: async (event) => {
          event.preventDefault();
          try {
            await api("/api/dispositions/reasons", { method: "POST", body: { code: code.value, label: label.value } });
            notify("Reason added.");
            loadReasons();
          } catch (error) { notify(error.message, "error"); }
        } }, field("New reason code", code, "lowercase-with-dashes"), field("Label", label), h("button", { type: "submit" }, "Add reason")));
    } catch (error) {
      fill(reasons, h("p", { class: "error" }, error.message));
    }
  }

  loadGeneral();
  loadRotation();
  loadReasons();
  return () => { disposed = true; };
}
