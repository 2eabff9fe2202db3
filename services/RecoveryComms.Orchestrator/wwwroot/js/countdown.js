// The countdown on a queue row and in an item's header: time left to the next mark the item is racing. The marks
// are the item's own due times, as the server stored them (clockStartsAt, firstAttemptDueAt, slaDueAt, dueAt); their
// names are the shop's windows from GET /api/settings ("to 5-min mark" when the first-attempt target is 5 minutes).

import { countdown, parseSpan, spanName } from "./format.js";

const WarnSeconds = 120;

/**
 * What a page needs to paint countdowns: the windows' names (from the settings, or null to name each mark by the
 * item's own window) and the shop's clock for "clock starts 8:00 AM CST".
 */
export function countdownStyle(context) {
  const first = parseSpan(context.settings?.firstAttemptTarget);
  const sla = parseSpan(context.settings?.sla);
  return { first: first ? spanName(first) : null, sla: sla ? spanName(sla) : null, time: context.time };
}

const span = (fromIso, toIso) => (Date.parse(toIso) - Date.parse(fromIso)) / 1000;

/**
 * The next mark: the clock's start (after hours), the first-attempt target, then the SLA, or a promised callback's
 * due time. Null once it no longer matters (an attempt was made, or the item is closed or parked).
 */
export function nextMark(item, now, style) {
  if (item.status === "completed" || item.status === "limbo") { return null; }
  if (item.dueAt) { return { label: "due", at: Date.parse(item.dueAt) }; }
  if (item.firstAttemptAt || item.attempts > 0) { return null; }
  const starts = Date.parse(item.clockStartsAt);
  if (starts > now) { return { waiting: true, at: starts }; }
  const first = Date.parse(item.firstAttemptDueAt);
  if (now < first) {
    return { label: `to ${style.first ?? spanName(span(item.clockStartsAt, item.firstAttemptDueAt))} mark`, at: first };
  }
  return { label: `to ${style.sla ?? spanName(span(item.clockStartsAt, item.slaDueAt))} mark`, at: Date.parse(item.slaDueAt) };
}

/** Updates a countdown element: its text and a colour class (ok, near, over; waiting, done). */
export function paintCountdown(element, item, now, style) {
  const mark = nextMark(item, now, style);
  if (!mark) {
    element.textContent = item.attempts > 0 ? "attempted" : "";
    element.className = "countdown done";
    return;
  }
  if (mark.waiting) {
    element.textContent = `clock starts ${style.time.time(mark.at)}`;
    element.className = "countdown waiting";
    return;
  }
  const seconds = Math.round((mark.at - now) / 1000);
  const over = seconds < 0;
  element.textContent = over ? `${countdown(-seconds)} past ${mark.label.replace(/^to /, "")}` : `${countdown(seconds)} ${mark.label}`;
  element.className = `countdown ${over ? "over" : seconds <= WarnSeconds ? "near" : "ok"}`;
}
