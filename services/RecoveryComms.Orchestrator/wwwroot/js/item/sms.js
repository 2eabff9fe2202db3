// The loop's one SMS: the two windows and the issue, the text as the customer will read it (the server's preview,
// with its length in characters and segments), and Send, or the reasons texting is not allowed. Once sent, the text
// and its status; once the customer texted STOP, the reason alone.

import { api, ApiError, query } from "../api.js";
import { field, fill, h } from "../dom.js";
import { smsStatusLabel, suppressionLabel } from "../labels.js";

const PreviewDelayMs = 250;

function refusal(reasons) {
  return h("div", { class: "suppressed", role: "note" },
    h("strong", {}, "Texting is not allowed"), h("ul", {}, reasons.map((reason) => h("li", { dataset: { reason } }, suppressionLabel(reason)))));
}

function sentView(detail, stopped) {
  const sent = detail.sms.find((message) => !["refused", "failed"].includes(message.status)) || detail.sms[0];
  const pending = !sent || ["requested", "unknown"].includes(sent.status);
  return [h("h3", {}, "Text message"),
    h("p", { role: "status" }, pending ? "The loop's one SMS is on its way: the consent gate is checking it…" : "The loop's one SMS has been sent."),
    sent ? h("blockquote", { class: "sms-body" }, sent.body) : null,
    sent ? h("p", { class: "meta" }, `Status: ${smsStatusLabel(sent.delivery || sent.status)}`) : null,
    stopped];
}

/** The form: its inputs, the preview, and where Send or the refusal goes. */
class SmsForm {
  constructor(onSubmit) {
    this.windowA = h("input", { type: "text", maxlength: 40, autocomplete: "off" });
    this.windowB = h("input", { type: "text", maxlength: 40, autocomplete: "off" });
    this.issue = h("input", { type: "text", maxlength: 60, autocomplete: "off", placeholder: "optional, e.g. about the water heater" });
    this.preview = h("blockquote", { class: "sms-body", "aria-live": "polite" });
    this.counter = h("p", { class: "counter" });
    this.place = h("div", { class: "sms-send" });
    this.element = h("form", { class: "sms-form", onsubmit: (event) => { event.preventDefault(); onSubmit(); } },
      h("div", { class: "row" }, field("First window", this.windowA), field("Second window", this.windowB)),
      field("Issue", this.issue),
      h("p", { class: "label" }, "The customer will read:"), this.preview, this.counter, this.place);
  }

  get inputs() { return [this.windowA, this.windowB, this.issue]; }

  get values() { return { windowA: this.windowA.value, windowB: this.windowB.value, issue: this.issue.value }; }

  get sendButton() { return this.element.querySelector("button[type=submit]"); }

  show(preview, first, owner) {
    if (first) { this.windowA.value = preview.windowA ?? ""; this.windowB.value = preview.windowB ?? ""; }
    this.preview.textContent = preview.body;
    this.counter.textContent = `${preview.units} ${preview.gsm7 ? "characters" : "characters (Unicode)"} · ${preview.segments} segment${preview.segments === 1 ? "" : "s"}`;
    this.counter.classList.toggle("over", preview.segments > 1);
    const blocking = preview.reasons.filter((reason) => reason !== "not-owner");
    if (blocking.length) {
      fill(this.place, refusal(blocking));
    } else if (!preview.allowed || !owner) {
      fill(this.place, h("p", { class: "hint" }, "Claim the item to send the text."));
    } else {
      fill(this.place, h("button", { type: "submit", class: "primary" }, "Send SMS"));
    }
  }
}

export class SmsSection {
  #form = null;
  #timer = 0;

  /** `panel`: the item's id, `act` to post an action, `isOwner()`, and `disposed()`. */
  constructor(element, panel) {
    this.element = element;
    this.panel = panel;
  }

  async paint(item, detail) {
    this.#form = null;
    // The customer texted STOP: the loop ended there, and the reason replaces any way to text them.
    const stopped = item.outcome === "opted-out" ? refusal(["opted-out"]) : null;
    if (item.smsSent) { fill(this.element, sentView(detail, stopped)); return; }
    if (stopped) { fill(this.element, h("h3", {}, "Text message"), stopped); return; }
    if (item.status === "completed" || !item.phone) { fill(this.element); return; }
    const form = new SmsForm(() => this.#send(form));
    for (const input of form.inputs) {
      input.addEventListener("input", () => { clearTimeout(this.#timer); this.#timer = setTimeout(() => this.#refresh(form, false), PreviewDelayMs); });
    }
    fill(this.element, h("h3", {}, "Text message (one per loop)"), form.element);
    this.#form = form;
    await this.#refresh(form, true);
  }

  /** Consent can change under an open panel (a STOP arrives): asks again, keeping what the CSR typed. */
  async recheck() {
    if (this.#form) { await this.#refresh(this.#form, false); }
  }

  dispose() { clearTimeout(this.#timer); }

  async #refresh(form, first) {
    try {
      const preview = await api(`/api/recoveries/${this.panel.id}/sms/preview${query(first ? {} : form.values)}`);
      if (this.panel.disposed()) { return; }
      form.show(preview, first, this.panel.isOwner());
    } catch (error) {
      fill(form.place, h("p", { class: "error" }, error instanceof ApiError && error.status === 400 ? error.message : `No preview: ${error.message}`));
    }
  }

  async #send(form) {
    const send = form.sendButton;
    if (send) { send.disabled = true; }
    try {
      const { windowA, windowB, issue } = form.values;
      await this.panel.act("sms", { windowA, windowB, issue: issue || null }, "SMS sent.");
    } catch (error) {
      if (error instanceof ApiError && error.reasons.length) { fill(form.place, refusal(error.reasons)); }
      if (send) { send.disabled = false; }
    }
  }
}
