// Building the page: elements, form fields and messages. (Formatting is in format.js, shop-time.js and labels.js.)
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
