// Times and dates in the shop's time zone, each time with the zone's short name ("8:00 AM CST"), whatever zone the
// browser is in: a CSR working from home in another zone, or a laptop set to UTC, reads the shop's clock. Dates the
// API takes (the daily review's day, the scorecard's period) are shop-local days, converted here to instants.

const Iso = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

/** The zone's formatters, or UTC's when the browser does not know the zone (it is then still labelled). */
function knownZone(timeZone) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return timeZone;
  } catch {
    return "UTC";
  }
}

/** Formatting and converting times for one zone (an IANA name such as America/Chicago). */
export function shopTime(requestedZone) {
  const timeZone = knownZone(requestedZone || "UTC");
  const timeFormat = new Intl.DateTimeFormat(undefined, { timeZone, hour: "numeric", minute: "2-digit", timeZoneName: "short" });
  const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
    timeZone, month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
  });
  const zoneFormat = new Intl.DateTimeFormat(undefined, { timeZone, timeZoneName: "short" });
  const wallFormat = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });

  /** The shop's wall clock at an instant (milliseconds). */
  function wall(ms) {
    const parts = Object.fromEntries(wallFormat.formatToParts(ms).map((part) => [part.type, part.value]));
    return { year: +parts.year, month: +parts.month, day: +parts.day, hour: +parts.hour % 24, minute: +parts.minute, second: +parts.second };
  }

  /** How far the shop's wall clock is ahead of UTC at an instant (milliseconds). */
  function offset(ms) {
    const w = wall(ms);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
  }

  /** The instant a shop-local wall time names. Note: asked twice, so a day that changes offset (DST) is right. */
  function fromWall(year, month, day, hour = 0, minute = 0) {
    const guess = Date.UTC(year, month - 1, day, hour, minute);
    const first = guess - offset(guess);
    return new Date(guess - offset(first));
  }

  const pad = (value) => String(value).padStart(2, "0");
  const isoDay = (w) => `${w.year}-${pad(w.month)}-${pad(w.day)}`;

  return {
    timeZone,
    /** "8:00 AM CST" */
    time: (iso) => (iso ? timeFormat.format(new Date(iso)) : ""),
    /** "Nov 24, 8:00 AM CST" */
    dateTime: (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : ""),
    /** The zone's short name at an instant: "CST", "CDT", or "GMT+1" where the language has no abbreviation. */
    zoneName(at = Date.now()) {
      return zoneFormat.formatToParts(new Date(at)).find((part) => part.type === "timeZoneName")?.value ?? timeZone;
    },
    /** The shop's date at an instant, as yyyy-mm-dd (for date inputs and the API's days). */
    today: (at = Date.now()) => isoDay(wall(new Date(at).getTime())),
    /** The instant the shop's day (yyyy-mm-dd) starts. */
    startOfDay(date) {
      const match = Iso.exec(date);
      return match ? fromWall(+match[1], +match[2], +match[3]) : null;
    },
    /** A datetime-local input's value (yyyy-mm-ddThh:mm), read as shop time, to an ISO instant. */
    toInstant(local) {
      const match = Iso.exec(local);
      return match && match[4] ? fromWall(+match[1], +match[2], +match[3], +match[4], +match[5]).toISOString() : null;
    },
  };
}

/** yyyy-mm-dd plus some days (calendar arithmetic: no zone involved). */
export function addDays(date, days) {
  const [year, month, day] = date.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

const wallClockFormat = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", hour: "numeric", minute: "2-digit" });

/** A wall-clock setting ("08:30") in the reader's style ("8:30 AM"): the same in every zone, so it has no zone. */
export function wallClock(hhmm) {
  const match = /^(\d{1,2}):(\d{2})$/.exec(hhmm ?? "");
  return match ? wallClockFormat.format(Date.UTC(2000, 0, 1, +match[1], +match[2])) : hhmm ?? "";
}

const dayFormat = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: "short", month: "short", day: "numeric" });

/** A shop day the API names as yyyy-mm-dd, as "Tue, Nov 24" (a calendar date: no zone). */
export function dayLabel(date) {
  const match = Iso.exec(date ?? "");
  return match ? dayFormat.format(Date.UTC(+match[1], +match[2] - 1, +match[3])) : date ?? "";
}
