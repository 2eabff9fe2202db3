// Building the page and formatting what it shows.
// Every piece of text goes in through textContent (never innerHTML), so a transcript or an SMS containing markup
// is shown as the text it is.

/**
 * h("button", { class: "primary", onclick: go }, "Call") → an element. Attributes starting with "on" become listeners;
 * `false`/`null` attributes are left out; children are elements, strings (as text) or arrays of them.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) { continue; }
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "value" && "value" in element) {
      element.value = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) { continue; }
    if (Array.isArray(child)) { append(element, child); continue; }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A labelled form field: the label wraps nothing, it points at the input by id, so screen readers and tests find it. */
let fieldCount = 0;
export function field(label, input, hint) {
  const id = input.id || `f${++fieldCount}`;
  input.id = id;
  const hintElement = hint ? h("small", { id: `${id}-hint`, class: "hint" }, hint) : null;
  if (hintElement) { input.setAttribute("aria-describedby", hintElement.id); }
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintElement);
}

/** A message in the page's status area, read out by screen readers. */
export function notify(text, kind = "info") {
  const area = document.getElementById("toasts");
  if (!area) { return; }
  const toast = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  area.append(toast);
  setTimeout(() => toast.remove(), kind === "error" ? 8000 : 4000);
}

// ---- formatting ---------------------------------------------------------------------------------------------------

/** +15551234567 → (555) 123-4567; other countries keep E.164 with a space after the country code. */
export function formatPhone(e164) {
  if (!e164) { return "Withheld number"; }
  const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return us ? `(${us[1]}) ${us[2]}-${us[3]}` : e164;
}

/** Seconds → "4:05" or "1:02:03"; negative values get a minus sign. */
export function clock(seconds) {
  const sign = seconds < 0 ? "−" : "";
  let rest = Math.abs(Math.trunc(seconds));
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = String(rest % 60).padStart(2, "0");
  return hours > 0 ? `${sign}${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${sign}${minutes}:${secs}`;
}

/** An age in words: "just now", "12 min", "3 h 5 min", "2 days". */
export function age(fromIso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 60000));
  if (minutes < 1) { return "just now"; }
  if (minutes < 60) { return `${minutes} min`; }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) { return `${hours} h ${minutes % 60} min`; }
  const days = Math.floor(hours / 24);
  return days === 1 ? "1 day" : `${days} days`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
export const time = (iso) => (iso ? timeFormat.format(new Date(iso)) : "");
export const dateTime = (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : "");

/** Today in the browser's zone as yyyy-mm-dd (for date inputs). */
export function isoDate(date = new Date()) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

export const TypeLabels = {
  "missed-call": "Missed call",
  abandoned: "Abandoned",
  voicemail: "Voicemail",
  emergency: "Emergency",
  "promised-update": "Promised update",
  warranty: "Warranty",
  "post-job": "Post-job",
  estimate: "Estimate",
  "after-hours-request": "After-hours request",
};

export const StatusLabels = {
  "needs-callback": "Needs callback",
  "in-progress": "In progress",
  "left-message": "Left message",
  "waiting-on-customer": "Waiting on customer",
  completed: "Completed",
  escalated: "Escalated",
  limbo: "Limbo",
};

/** Why texting a number is not allowed, in a CSR's words (codes from the consent service and the SMS route). */
export const SuppressionLabels = {
  "opted-out": "The customer replied STOP: texting is not allowed.",
  "sms-opted-out": "The customer replied STOP: texting is not allowed.",
  "do-not-contact": "The customer asked not to be contacted.",
  "no-consent": "No consent on record to text this number.",
  "quiet-hours": "It is quiet hours where the customer is: texting waits.",
  "zone-unknown": "The customer's time zone is unknown, so quiet hours cannot be checked.",
  "a2p-not-registered": "The shop's texting number is not A2P-registered yet.",
  "landline": "The number is a landline.",
  "invalid-number": "The number cannot receive texts.",
  "already-sent": "The loop's one SMS has been sent already.",
  "consent-unavailable": "The consent service did not answer: try again in a moment.",
  "sms-already-sent": "The loop's one SMS has been sent already.",
  "sms-too-long": "Filled in, the text no longer fits one SMS: shorten the windows or the issue.",
  "item-completed": "The item is completed.",
  "cannot-call-back": "The caller withheld their number.",
  "not-owner": "Claim the item to send the text.",
};

export const suppressionLabel = (code) => SuppressionLabels[code] || `Texting not allowed (${code}).`;
