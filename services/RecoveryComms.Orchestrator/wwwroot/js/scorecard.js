// The manager's scorecard for a chosen period of shop days: each figure beside its target, with a small chart of its
// value day by day; top reasons (by their labels), backup triggers and customers who called twice.

import { api, query } from "./api.js";
import { field, fill, h } from "./dom.js";
import { addDays, dayLabel, wallClock } from "./shop-time.js";

const Names = {
  timeToFirstAttempt: "Time to first attempt (median)",
  twoAttemptCompletion: "Two-attempt completion",
  recoveryRate: "Recovery rate",
  afterHoursFirstAttemptOnTime: "After-hours first attempt on time",
  smsOptOutRate: "SMS opt-out rate",
};

/**
 * What each figure counts, in a manager's words (the server's definitions name configuration keys and codes); the
 * after-hours deadline is the shop's setting. A figure the console does not know keeps the server's definition.
 */
function definition(figure, settings) {
  const by = settings?.afterHoursFirstAttemptBy ? `by ${wallClock(settings.afterHoursFirstAttemptBy)} shop time` : "by the shop's morning deadline";
  const sentences = {
    timeToFirstAttempt: "Median minutes from the start of an item's clock (the next opening, for calls after hours) to its first call attempt; calls with a number only.",
    twoAttemptCompletion: "Closed items whose loop was finished: two attempts, or ended early by a booking, a reschedule, a reply, a STOP or a wrong number.",
    recoveryRate: "Jobs and estimates booked, out of callers who could be reached (number not withheld, not a wrong number). Texts sent never count.",
    afterHoursFirstAttemptOnTime: `After-hours calls whose first attempt came ${by} on the morning they started.`,
    smsOptOutRate: "Items whose loop text was followed by a STOP, out of items that were texted.",
  };
  return sentences[figure.name] ?? figure.definition;
}

function show(value, unit) {
  if (value === null || value === undefined) { return "—"; }
  return unit === "percent" ? `${value}%` : unit === "minutes" ? `${value} min` : String(value);
}

function targetText(figure) {
  if (figure.target === null) { return "no target"; }
  const sign = figure.direction === "at-most" ? "≤" : "≥";
  const stretch = figure.stretch !== null ? ` (stretch ${sign} ${show(figure.stretch, figure.unit)})` : "";
  return `target ${sign} ${show(figure.target, figure.unit)}${stretch}`;
}

const Svg = "http://www.w3.org/2000/svg";
function svg(tag, attributes, ...children) {
  const element = document.createElementNS(Svg, tag);
  for (const [name, value] of Object.entries(attributes)) { element.setAttribute(name, String(value)); }
  for (const child of children) { element.append(child); }
  return element;
}

/** A bar per day, with the target as a dashed line; days with nothing to measure have no bar. */
function chart(figure) {
  const width = 220;
  const height = 56;
  const values = figure.trend.map((day) => day.value).filter((value) => value !== null);
  const top = Math.max(...values, figure.target ?? 0, figure.unit === "percent" ? 100 : 1);
  const step = width / Math.max(figure.trend.length, 1);
  const y = (value) => height - (value / top) * (height - 4);
  const bars = figure.trend.map((day, index) => {
    if (day.value === null) { return svg("g", {}); }
    const bar = svg("rect", { x: index * step + 1, y: y(day.value), width: Math.max(step - 2, 1), height: height - y(day.value), class: "bar" });
    bar.append(svg("title", {}, document.createTextNode(`${dayLabel(day.date)}: ${show(day.value, figure.unit)} (of ${day.basis})`)));
    return bar;
  });
  const target = figure.target === null ? [] : [svg("line", { x1: 0, x2: width, y1: y(figure.target), y2: y(figure.target), class: "target" })];
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": `${Names[figure.name] || figure.name} by day` }, ...bars, ...target);
}

function figureCard(figure, settings) {
  const verdict = figure.meetsTarget === true ? "meets" : figure.meetsTarget === false ? "misses" : "";
  return h("article", { class: `figure ${verdict}`, dataset: { figure: figure.name } },
    h("h2", {}, Names[figure.name] || figure.name),
    h("p", { class: "value" }, show(figure.value, figure.unit)),
    h("p", { class: "target-text" }, targetText(figure), figure.meetsTarget === false ? " — missed" : figure.meetsTarget ? " — met" : ""),
    chart(figure),
    h("p", { class: "hint" }, `Basis: ${figure.basis}. ${definition(figure, settings)}`));
}

function counts(card) {
  const count = (title, value) => h("article", {}, h("h2", {}, title), h("p", { class: "value" }, String(value)));
  return h("div", { class: "counts" },
    count("Backup triggered", card.backupTriggers),
    count("Customers who called twice", card.repeatCallers),
    count("Unassigned at close", card.unassignedAtClose),
    count("Short abandons (not counted)", card.shortAbandons));
}

function topReasons(card, labels) {
  return card.topReasons.length === 0 ? h("p", { class: "empty" }, "No reasons recorded in this period.")
    : h("ol", { class: "reasons" }, card.topReasons.map((reason) => h("li", {}, `${labels.reason(reason.key)}: ${reason.count}`)));
}

function byDay(card) {
  return h("table", { class: "data" },
    h("thead", {}, h("tr", {}, ["Day", "Items", "Bookings", "Median minutes to first attempt", "First attempts within 10 min"].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, card.days.map((day) => h("tr", {},
      h("td", {}, dayLabel(day.date)), h("td", {}, String(day.items)), h("td", {}, String(day.bookings)),
      h("td", {}, day.medianMinutesToFirstAttempt ?? "—"), h("td", {}, String(day.firstAttemptsWithin10Minutes))))));
}

export function render(container, context) {
  let disposed = false;
  const time = context.time;
  const today = time.today();
  const from = h("input", { type: "date", value: addDays(today, -6) });
  const to = h("input", { type: "date", value: today });
  const body = h("div");
  fill(container, h("section", { class: "scorecard" },
    h("h1", {}, "Scorecard"),
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); load(); } },
      field(`From (shop days, ${time.zoneName()})`, from), field("To (inclusive)", to), h("button", { type: "submit" }, "Show")),
    body));

  async function load() {
    try {
      if (!from.value || !to.value) { throw new Error("Choose the first and the last day."); }
      const start = time.startOfDay(from.value);
      const end = time.startOfDay(addDays(to.value, 1));
      const [card, labels] = await Promise.all([
        api(`/api/scorecard${query({ from: start.toISOString(), to: end.toISOString() })}`), context.dispositions()]);
      if (disposed) { return; }
      fill(body,
        card.alerts.map((alert) => h("p", { class: "warning", role: "alert" }, alert)),
        h("div", { class: "figures" }, card.figures.map((figure) => figureCard(figure, context.settings))),
        counts(card),
        h("h2", {}, "Top reasons"), topReasons(card, labels),
        h("h2", {}, "By day"), byDay(card));
    } catch (error) {
      fill(body, h("p", { class: "error" }, error.message));
    }
  }

  load();
  return () => { disposed = true; };
}
