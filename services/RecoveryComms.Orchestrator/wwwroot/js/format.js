// Numbers, phones and spans of time in a CSR's words. Times of day and dates are in shop-time.js (they need the
// shop's zone); labels for the API's codes are in labels.js.

/** +15551234567 → (555) 123-4567; other countries keep E.164 with a space after the country code. */
export function formatPhone(e164) {
  if (!e164) { return "Withheld number"; }
  const us = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return us ? `(${us[1]}) ${us[2]}-${us[3]}` : e164;
}

/**
 * A countdown's remaining (or overdue) seconds: "4:05" under an hour, where the seconds matter; "30 h 26 min" from an
 * hour up, where a ticking "30:25:58" only looks like a clock time.
 */
export function countdown(seconds) {
  const rest = Math.abs(Math.trunc(seconds));
  const sign = seconds <= -1 ? "−" : "";
  if (rest >= 3600) {
    const minutes = Math.round(rest / 60);
    return sign + hoursAndMinutes(Math.floor(minutes / 60), minutes % 60);
  }
  return `${sign}${Math.floor(rest / 60)}:${String(rest % 60).padStart(2, "0")}`;
}

function hoursAndMinutes(hours, minutes) {
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}

/** A window's length as a mark's name: 300 → "5-min", 30 → "30-s", 5400 → "1 h 30 min", 3600 → "1-h". */
export function spanName(seconds) {
  const total = Math.round(seconds);
  if (total < 60) { return `${total}-s`; }
  if (total < 3600) {
    const minutes = Math.floor(total / 60);
    return total % 60 === 0 ? `${minutes}-min` : `${minutes} min ${total % 60} s`;
  }
  const minutes = Math.round(total / 60);
  return minutes % 60 === 0 ? `${minutes / 60}-h` : hoursAndMinutes(Math.floor(minutes / 60), minutes % 60);
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

/** The API's durations (.NET "c" format: [d.]hh:mm:ss[.fffffff]) to seconds; null when it is not one. */
export function parseSpan(text) {
  const match = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text ?? "");
  if (!match) { return null; }
  const [, minus, days, hours, minutes, secs, fraction] = match;
  const value = Number(days ?? 0) * 86400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(secs) + Number(`0.${fraction ?? 0}`);
  return minus ? -value : value;
}

/** Seconds to the API's duration format: 300 → "00:05:00", 86400 → "1.00:00:00". */
export function formatSpan(seconds) {
  let rest = Math.round(seconds);
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const two = (value) => String(value).padStart(2, "0");
  const clock = `${two(Math.floor(rest / 3600))}:${two(Math.floor((rest % 3600) / 60))}:${two(rest % 60)}`;
  return days > 0 ? `${days}.${clock}` : clock;
}

/** "price-shopper" → "Price shopper": the last resort for a code the console has no label for. */
export function humanize(code) {
  const text = String(code ?? "").replace(/[-_]+/g, " ").trim();
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}
