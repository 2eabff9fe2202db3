// The reasons a CSR picks from when recording an outcome (GET /api/dispositions, POST /api/dispositions/reasons).
// A manager names a new reason; its code (what the API and the CRM see) is made from the name.

import { api, ApiError } from "../api.js";
import { field, fill, h, notify } from "../dom.js";

/** "Price shopper!" → "price-shopper": the API's reason codes are lowercase letters, digits and dashes, a letter first. */
export function reasonCode(label) {
  const slug = label.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  const code = /^[a-z][a-z0-9-]+$/.test(slug) ? slug : `reason-${slug}`;
  return code.slice(0, 41).replace(/-+$/, "");
}

export async function renderReasons(container, context, isDisposed) {
  try {
    const labels = await context.dispositions();
    if (isDisposed()) { return; }
    const label = h("input", { type: "text", maxlength: 80, required: true, autocomplete: "off" });
    const add = async (event) => {
      event.preventDefault();
      try {
        await api("/api/dispositions/reasons", { method: "POST", body: { code: reasonCode(label.value), label: label.value.trim() } });
        notify("Reason added.");
        context.dispositionsChanged();
        renderReasons(container, context, isDisposed);
      } catch (error) {
        notify(error instanceof ApiError && error.status === 409 ? "That reason exists already." : error.message, "error");
      }
    };
    fill(container,
      h("ul", { class: "reasons" }, labels.reasons.map((reason) => h("li", {}, reason.label))),
      h("form", { class: "inline", onsubmit: add }, field("New reason", label, "As CSRs will read it, e.g. “Price shopper”"), h("button", { type: "submit" }, "Add reason")));
  } catch (error) {
    fill(container, h("p", { class: "error" }, error.message));
  }
}
