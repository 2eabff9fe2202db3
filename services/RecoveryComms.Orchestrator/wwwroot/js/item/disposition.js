// Recording the outcome: the outcome and reason lists with their labels (GET /api/dispositions), a note, and for a
// reschedule the time to call back, typed in shop time.

import { field, fill, h } from "../dom.js";

function select(placeholder, codes, required) {
  return h("select", { required }, h("option", { value: "" }, placeholder), codes.map((code) => h("option", { value: code.code }, code.label)));
}

export async function paintDisposition(element, item, panel) {
  if (item.status === "completed" || !(panel.isOwner() || panel.isManager)) { fill(element); return; }
  const labels = await panel.context.dispositions();
  const time = panel.context.time;
  const outcome = select("Choose the outcome…", labels.outcomes, true);
  const reason = select("No reason", labels.reasons, false);
  const note = h("input", { type: "text", maxlength: 200, autocomplete: "off" });
  const when = h("input", { type: "datetime-local" });
  const whenField = field(`Call back at (${time.zoneName()}, shop time)`, when);
  whenField.hidden = true;
  outcome.addEventListener("change", () => {
    whenField.hidden = outcome.value !== "reschedule-requested";
    when.required = !whenField.hidden;
  });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await panel.act("disposition", {
        outcome: outcome.value, reason: reason.value || null, note: note.value || null,
        rescheduleAt: when.value ? time.toInstant(when.value) : null,
      }, "Outcome recorded.");
    } catch (failure) {
      error.textContent = failure.message;
    }
  } },
  h("h3", {}, "Record the outcome"),
  h("div", { class: "row" }, field("Outcome", outcome), field("Reason", reason)),
  field("Note", note), whenField, h("button", { type: "submit" }, "Save outcome"), error);
  fill(element, form);
}
