// The manager's scorecard for a chosen period: each figure beside its target, with a small chart of its value day
// by day; top reasons, backup triggers and customers who called twice.

import { api, query } from "./api.js";
import { fill, field, h, isoDate } from "./dom.js";

const Names = {
  timeToFirstAttempt: "Time to first attempt (median)",
  twoAttemptCompletion: "Two-attempt completion",
  recoveryRate: "Recovery rate",
  afterHoursFirstAttemptOnTime: "After-hours first attempt on time",
  smsOptOutRate: "SMS opt-out rate",
};

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
    bar.append(svg("title", {}, document.createTextNode(`${day.date}: ${show(day.value, figure.unit)} (of ${day.basis})`)));
    return bar;
  });
  const target = figure.target === null ? [] : [svg("line", { x1: 0, x2: width, y1: y(figure.target), y2: y(figure.target), class: "target" })];
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": `${Names[figure.name] || figure.name} by day` }, ...bars, ...target);
}

export function render(container) {
  let disposed = false;
  const from = h("input", { type: "date", value: isoDate(new Date(Date.now() - 6 * 24 * 3600 * 1000)) });
  const to = h("input", { type: "date", value: isoDate() });
  const body = h("div");
  fill(container, h("section", { class: "scorecard" },
    h("h1", {}, "Scorecard"),
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); load(); } },
      field("From", from), field("To (inclusive)", to), h("button", { type: "submit" }, "Show")),
    body));

  async function load() {
    const start = new Date(`${from.value}T00:00`);
    const end = new Date(`${to.value}T00:00`);
    end.setDate(end.getDate() + 1);
    try {
      const card = await api(`/api/scorecard${query({ from: start.toISOString(), to: end.toISOString() })}`);
      if (disposed) { return; }
      fill(body,
        card.alerts.map((alert) => h("p", { class: "warning", role: "alert" }, alert)),
        h("div", { class: "figures" }, card.figures.map((figure) => h("article", {
          class: `figure ${figure.meetsTarget === true ? "meets" : figure.meetsTarget === false ? "misses" : ""}`,
          dataset: { figure: figure.name },
        },
        h("h2", {}, Names[figure.name] || figure.name),
        h("p", { class: "value" }, show(figure.value, figure.unit)),
        h("p", { class: "target-text" }, targetText(figure), figure.meetsTarget === false ? " — missed" : figure.meetsTarget ? " — met" : ""),
        chart(figure),
        h("p", { class: "hint" }, `Basis: ${figure.basis}. ${figure.definition}`)))),
        h("div", { class: "counts" },
          h("article", {}, h("h2", {}, "Backup triggered"), h("p", { class: "value" }, String(card.backupTriggers))),
          h("article", {}, h("h2", {}, "Customers who called twice"), h("p", { class: "value" }, String(card.repeatCallers))),
          h("article", {}, h("h2", {}, "Unassigned at close"), h("p", { class: "value" }, String(card.unassignedAtClose))),
          h("article", {}, h("h2", {}, "Short abandons (not counted)"), h("p", { class: "value" }, String(card.shortAbandons)))),
        h("h2", {}, "Top reasons"),
        card.topReasons.length === 0 ? h("p", { class: "empty" }, "No reasons recorded in this period.")
          : h("ol", { class: "reasons" }, card.topReasons.map((reason) => h("li", {}, `${reason.key}: ${reason.count}`))),
        h("h2", {}, "By day"),
        h("table", { class: "data" },
          h("thead", {}, h("tr", {}, ["Day", "Items", "Bookings", "Median minutes to first attempt", "First attempts within 10 min"].map((name) => h("th", { scope: "col" }, name)))),
          h("tbody", {}, card.days.map((day) => h("tr", {},
            h("td", {}, day.date), h("td", {}, String(day.items)), h("td", {}, String(day.bookings)),
            h("td", {}, day.medianMinutesToFirstAttempt ?? "—"), h("td", {}, String(day.firstAttemptsWithin10Minutes)))))));
    } catch (error) {
      fill(body, h("p", { class: "error" }, error.message));
    }
  }

  load();
  return () => { disposed = true; };
}
