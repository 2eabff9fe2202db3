// The settings document (GET/PUT /api/settings) as a form: the shop, its hours and zone, the ring group, the loop's
// windows in minutes, the callback blocks, the SMS template and the talk tracks. What the server refuses is shown
// beside the field's name in words.

import { api, ApiError } from "../api.js";
import { field, fill, h, notify } from "../dom.js";
import { dayHours, minutesInput, timeList, zonePicker } from "./inputs.js";

const Days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const capital = (text) => text[0].toUpperCase() + text.slice(1);

/** The settings document's fields, as the form names them (the server's errors are keyed by these). */
const FieldNames = {
  "": "Settings",
  version: "Version",
  shopName: "Shop name",
  timeZone: "Time zone",
  openHours: "Opening hours",
  ringGroup: "Ring group",
  firstAttemptTarget: "Backup takes over after",
  sla: "Escalate to the manager after",
  afterHoursFirstAttemptBy: "After-hours calls: first attempt by",
  promisedCheckBefore: "Check promised callbacks before",
  callbackBlocks: "Callback blocks",
  smsTemplate: "SMS template",
  talkTracks: "Talk tracks",
  fallbackOwners: "Fallback owners",
  emergencyPhrases: "Emergency phrases",
  emergencyFirstAttemptTarget: "Emergency: backup takes over after",
  emergencySla: "Emergency: escalate after",
};

/** A choice of one staff member (CSRs and managers, from GET /api/staff), or nobody. */
function staffSelect(label, selectedId, staff) {
  return h("select", { "aria-label": label },
    h("option", { value: "" }, "— nobody —"),
    staff.map((member) => h("option", { value: member.id, selected: member.id === selectedId }, `${member.name} (${member.role})`)));
}

/** Builds the inputs for a settings document; `read()` gives the document to PUT back. */
function inputsFor(settings, staff) {
  const text = (value, attributes = {}) => h("input", { type: "text", value: value ?? "", autocomplete: "off", ...attributes });
  const area = (value) => h("textarea", { rows: 3, maxlength: 2000 }, value ?? "");
  const inputs = {
    shopName: text(settings.shopName, { maxlength: 40, required: true }),
    timeZone: zonePicker(settings.timeZone),
    openHours: Days.map((day) => dayHours(capital(day), settings.openHours[day])),
    ringGroup: h("textarea", { rows: 3 }, settings.ringGroup.join("\n")),
    firstAttemptTarget: minutesInput(settings.firstAttemptTarget, { max: 240 }),
    sla: minutesInput(settings.sla, { max: 1440 }),
    afterHoursFirstAttemptBy: h("input", { type: "time", value: settings.afterHoursFirstAttemptBy, required: true }),
    promisedCheckBefore: minutesInput(settings.promisedCheckBefore, { max: 1440 }),
    callbackBlocks: timeList(settings.callbackBlocks, "Callback block"),
    smsTemplate: area(settings.smsTemplate),
    call: area(settings.talkTracks.call),
    voicemail: area(settings.talkTracks.voicemail),
    followUp: area(settings.talkTracks.followUp),
    emergencyPhrases: h("textarea", { rows: 4 }, (settings.emergencyPhrases ?? []).join("\n")),
    emergencyFirstAttemptTarget: minutesInput(settings.emergencyFirstAttemptTarget ?? "00:02:00", { max: 240 }),
    emergencySla: minutesInput(settings.emergencySla ?? "00:05:00", { max: 1440 }),
    fallbackPrimary: staffSelect("Fallback primary", settings.fallbackOwners?.primaryUserId, staff),
    fallbackBackup: staffSelect("Fallback backup", settings.fallbackOwners?.backupUserId, staff),
  };
  // The SLA must outlast the first-attempt target; said here, before the server has to.
  const checkOrder = () => inputs.sla.input.setCustomValidity(
    inputs.sla.minutes() > inputs.firstAttemptTarget.minutes() ? "" : "Escalation must come after the backup takes over.");
  inputs.sla.input.addEventListener("input", checkOrder);
  inputs.firstAttemptTarget.input.addEventListener("input", checkOrder);
  checkOrder();
  inputs.read = () => ({
    version: settings.version,
    shopName: inputs.shopName.value,
    timeZone: inputs.timeZone.read(),
    openHours: Object.fromEntries(Days.map((day, index) => [day, inputs.openHours[index].read()])),
    ringGroup: inputs.ringGroup.value.split(/[\n,]+/).map((number) => number.trim()).filter(Boolean),
    firstAttemptTarget: inputs.firstAttemptTarget.read(),
    sla: inputs.sla.read(),
    afterHoursFirstAttemptBy: inputs.afterHoursFirstAttemptBy.value,
    promisedCheckBefore: inputs.promisedCheckBefore.read(),
    callbackBlocks: inputs.callbackBlocks.read(),
    smsTemplate: inputs.smsTemplate.value,
    talkTracks: { call: inputs.call.value, voicemail: inputs.voicemail.value, followUp: inputs.followUp.value },
    emergencyPhrases: inputs.emergencyPhrases.value.split(/\n+/).map((phrase) => phrase.trim()).filter(Boolean),
    emergencyFirstAttemptTarget: inputs.emergencyFirstAttemptTarget.read(),
    emergencySla: inputs.emergencySla.read(),
    fallbackOwners: { primaryUserId: inputs.fallbackPrimary.value || null, backupUserId: inputs.fallbackBackup.value || null },
  });
  return inputs;
}

/** The element that shows a field's error (its input, or the group of inputs it is made of). */
function invalidTarget(inputs, name) {
  const input = inputs[name];
  if (name === "talkTracks") { return [inputs.call, inputs.voicemail, inputs.followUp]; }
  if (name === "openHours") { return inputs.openHours.flatMap((day) => day.inputs); }
  if (name === "fallbackOwners") { return [inputs.fallbackPrimary, inputs.fallbackBackup]; }
  return [input?.input ?? input].filter((element) => element instanceof Element);
}

/**
 * The server's refusals, field by field. Note: each names the field in words; the document's own field name follows
 * in small type, as the API and its logs call it (a manager quoting an error to support, or to the API's docs).
 */
function showErrors(errors, inputs, problems) {
  fill(errors, h("p", {}, "Not saved:"), h("ul", {}, Object.entries(problems).map(([name, messages]) => {
    for (const element of invalidTarget(inputs, name)) { element.setAttribute("aria-invalid", "true"); }
    return h("li", {}, h("strong", {}, FieldNames[name] ?? name), `: ${messages.join(" ")}`,
      name ? [" ", h("small", { class: "field-key" }, `(${name})`)] : null);
  })));
}

function shopFieldset(inputs) {
  return h("fieldset", {}, h("legend", {}, "Shop"),
    field("Shop name (the SMS starts with it)", inputs.shopName),
    field("Time zone", inputs.timeZone.input),
    inputs.timeZone.hint,
    h("div", { class: "hours", role: "group", "aria-label": "Opening hours" },
      h("p", { class: "label" }, "Opening hours (shop time; untick a day the shop is closed)"),
      inputs.openHours.map((day) => day.element)));
}

function targetsFieldset(inputs) {
  return h("fieldset", {}, h("legend", {}, "Callback targets"),
    h("div", { class: "row" },
      field("Backup takes over after (minutes)", inputs.firstAttemptTarget.input, "No one has called back by then: the backup is alerted."),
      field("Escalate to the manager after (minutes)", inputs.sla.input, "Still no attempt by then: the manager is alerted."),
      field("After-hours calls: first attempt by", inputs.afterHoursFirstAttemptBy, "Shop time, on the morning after."),
      field("Check promised callbacks before (minutes)", inputs.promisedCheckBefore.input, "How long before a promised time the backup checks it.")),
    h("div", { class: "field" }, h("p", { class: "label" }, "Callback blocks (when follow-ups are worked, shop time)"), inputs.callbackBlocks.element));
}

function emergencyFieldset(inputs) {
  return h("fieldset", {}, h("legend", {}, "Emergencies"),
    field("Emergency phrases (one per line)", inputs.emergencyPhrases,
      "Found as whole words, in any case, in voicemails, customers' texts and callback notes, the item goes to the top of the queue on the emergency clock."),
    h("div", { class: "row" },
      field("Emergency: backup takes over after (minutes)", inputs.emergencyFirstAttemptTarget.input, "Day and night."),
      field("Emergency: escalate to the manager after (minutes)", inputs.emergencySla.input)));
}

function ownersFieldset(inputs) {
  return h("fieldset", {}, h("legend", {}, "Fallback owners"),
    h("p", { class: "hint" }, "Every callback gets two named people. On a day the rotation below leaves empty, these two own new callbacks."),
    h("div", { class: "row" },
      field("Fallback primary", inputs.fallbackPrimary),
      field("Fallback backup", inputs.fallbackBackup)));
}

function wordsFieldset(inputs) {
  return h("fieldset", {}, h("legend", {}, "Words"),
    field("SMS template", inputs.smsTemplate, "{shop}, {windowA}, {windowB} and {issue} are filled in; it must say how to reply STOP."),
    field("Talk track: returning a call", inputs.call, "{customer}, {csr} and {shop} are filled in."),
    field("Talk track: after a voicemail", inputs.voicemail),
    field("Talk track: follow-ups", inputs.followUp));
}

function savedText(settings, time) {
  if (!settings.updatedBy) { return "Nothing saved yet: these are the shop's starting settings."; }
  return `Version ${settings.version}, last changed by ${settings.updatedBy}${settings.updatedAt ? ` on ${time.dateTime(settings.updatedAt)}` : ""}.`;
}

/** The settings form in `container`. After a save the console reads the shop again (zone, windows) and the form reloads. */
export async function renderGeneral(container, context, isDisposed) {
  let settings;
  let staff;
  try {
    [settings, staff] = await Promise.all([api("/api/settings"), api("/api/staff")]);
  } catch (error) {
    fill(container, h("p", { class: "error" }, `Settings could not be loaded: ${error.message}`));
    return;
  }
  if (isDisposed()) { return; }
  const inputs = inputsFor(settings, staff);
  const errors = h("div", { class: "error", role: "alert" });
  const reload = () => renderGeneral(container, context, isDisposed);

  async function save(event) {
    event.preventDefault();
    fill(errors);
    for (const element of form.querySelectorAll("[aria-invalid]")) { element.removeAttribute("aria-invalid"); }
    try {
      await api("/api/settings", { method: "PUT", body: inputs.read() });
      await context.reloadShop();
      notify("Settings saved.");
      reload();
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && Object.keys(error.errors).length) {
        showErrors(errors, inputs, error.errors);
      } else if (error instanceof ApiError && error.status === 409) {
        fill(errors, h("p", {}, "Someone else changed the settings meanwhile. "), h("button", { type: "button", onclick: reload }, "Load their version"));
      } else {
        fill(errors, h("p", {}, error.message));
      }
    }
  }

  const form = h("form", { class: "settings-form", onsubmit: save },
    h("p", { class: "hint" }, savedText(settings, context.time)),
    shopFieldset(inputs),
    h("fieldset", {}, h("legend", {}, "Ring group"),
      field("Phones that ring for incoming calls (one per line)", inputs.ringGroup)),
    targetsFieldset(inputs),
    emergencyFieldset(inputs),
    ownersFieldset(inputs),
    wordsFieldset(inputs),
    errors,
    h("button", { type: "submit", class: "primary" }, "Save settings"));
  fill(container, form);
}
