// Inputs a manager fills without knowing the API's formats: a time-zone picker, opening hours as time inputs, spans
// in minutes, and a list of times. Each one converts to and from what GET/PUT /api/settings carry ("America/Chicago",
// "08:00-18:00" or null, "00:05:00", "14:00").

import { h } from "../dom.js";
import { formatSpan, parseSpan } from "../format.js";
import { shopTime } from "../shop-time.js";

/** Where most of our shops are: offered first, above every zone the browser knows. */
const CommonZones = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"];

function allZones() {
  try { return Intl.supportedValuesOf("timeZone"); } catch { return []; }
}

/** A select of IANA zones (the shop's own kept even if the browser does not list it), with its clock now as a hint. */
export function zonePicker(current) {
  const zones = allZones();
  const others = [...new Set([...zones, current].filter(Boolean))].filter((zone) => !CommonZones.includes(zone)).sort();
  const option = (zone) => h("option", { value: zone, selected: zone === current }, zone.replaceAll("_", " "));
  const select = h("select", { required: true },
    h("optgroup", { label: "United States" }, CommonZones.map(option)),
    h("optgroup", { label: "All time zones" }, others.map(option)));
  const now = h("small", { class: "hint", id: "time-zone-now", "aria-live": "polite" });
  select.setAttribute("aria-describedby", now.id);
  const showNow = () => {
    const zone = shopTime(select.value);
    now.textContent = `It is ${zone.time(new Date().toISOString())} there now.`;
  };
  select.addEventListener("change", showNow);
  showNow();
  return { input: select, hint: now, read: () => select.value };
}

const Range = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/;

/** One day's opening hours: open or closed, and from/to as time inputs; "08:00-18:00" or null. */
export function dayHours(dayName, range) {
  const match = Range.exec(range ?? "");
  const open = h("input", { type: "checkbox", checked: Boolean(match) });
  const from = h("input", { type: "time", value: match?.[1] ?? "08:00", "aria-label": `${dayName} opens`, required: true });
  const to = h("input", { type: "time", value: match?.[2] ?? "17:00", "aria-label": `${dayName} closes`, required: true });
  const sync = () => {
    from.disabled = to.disabled = !open.checked;
    to.setCustomValidity(open.checked && from.value && to.value && from.value >= to.value ? "Closing must be after opening." : "");
  };
  for (const input of [open, from, to]) { input.addEventListener("input", sync); }
  sync();
  const id = `open-${dayName.toLowerCase()}`;
  open.id = id;
  const row = h("div", { class: "day-hours" },
    h("span", { class: "day-open" }, open, h("label", { for: id }, dayName)),
    from, h("span", { "aria-hidden": "true" }, "to"), to);
  return { element: row, inputs: [open, from, to], read: () => (open.checked ? `${from.value}-${to.value}` : null) };
}

/**
 * A span of time as minutes (a number input; seconds become fractions, as a demo's 00:00:30 is 0.5 min), written
 * back as the API's hh:mm:ss.
 */
export function minutesInput(span, { max }) {
  const seconds = parseSpan(span);
  const input = h("input", {
    type: "number", min: 0.01, max, step: "any", required: true, inputmode: "decimal", class: "minutes",
    value: seconds === null ? "" : String(Math.round((seconds / 60) * 100) / 100),
  });
  return { input, read: () => formatSpan(Number(input.value) * 60), minutes: () => Number(input.value) };
}

/** A list of times of day (callback blocks): one time input each, with Remove, and Add a time. */
export function timeList(times, label) {
  const list = h("ol", { class: "time-list" });
  const add = (value) => {
    const input = h("input", { type: "time", value, required: true, "aria-label": label });
    const item = h("li", {}, input, " ", h("button", { type: "button", class: "link", onclick: () => { item.remove(); } }, "Remove"));
    list.append(item);
    return input;
  };
  for (const time of times) { add(time); }
  const element = h("div", { class: "times" }, list,
    h("button", { type: "button", onclick: () => add("12:00").focus() }, "Add a time"));
  return { element, read: () => [...list.querySelectorAll("input")].map((input) => input.value).filter(Boolean) };
}
