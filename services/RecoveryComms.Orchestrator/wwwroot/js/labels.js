// The API's codes in a CSR's words. Outcome and reason labels come from the server (GET /api/dispositions, read
// through the page context); the tables here are for the codes the API sends without a label. A code missing from a
// table is shown humanized ("price-shopper" → "Price shopper"), never as the bare code.

import { humanize } from "./format.js";

const pick = (table, code) => table[code] ?? humanize(code);

const Types = {
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

const EmergencySources = {
  transcript: "voicemail",
  sms: "customer's text",
  note: "callback note",
  keypress: "key press",
  "answering-service": "answering service",
};

/** "Emergency: "burst pipe" (voicemail)", for an item an emergency rule marked; "" otherwise. */
export const emergencyText = (emergency) =>
  (emergency ? `Emergency: "${emergency.matched}" (${EmergencySources[emergency.source] ?? emergency.source})` : "");

const Statuses = {
  "needs-callback": "Needs callback",
  "in-progress": "In progress",
  "left-message": "Left message",
  "waiting-on-customer": "Waiting on customer",
  completed: "Completed",
  escalated: "Escalated",
  limbo: "Limbo",
};

/** The kinds of call merged into an item (GET /api/recoveries/{id} occurrences). */
const Occurrences = { missed: "Missed call", abandoned: "Abandoned call", voicemail: "Voicemail", transcription: "Voicemail transcript" };

/** Timeline entry kinds (Items/TimelineKinds.cs). */
const TimelineKinds = {
  created: "Created",
  merged: "Called again",
  transcribed: "Voicemail transcribed",
  claimed: "Claimed",
  reassigned: "Reassigned",
  "attempt-placed": "Call placed",
  "attempt-result": "Call ended",
  "voicemail-left": "Voicemail left",
  recorded: "Call recorded",
  "sms-requested": "Text requested",
  "sms-result": "Text checked",
  "sms-delivery": "Text delivery",
  "customer-replied": "Customer replied",
  "opted-out": "Customer texted STOP",
  "backup-triggered": "Backup took over",
  escalated: "Escalated",
  "clock-started": "Clock started",
  "promised-check": "Promised-callback check",
  "end-of-day": "End of day",
  "end-of-day-unassigned": "Unassigned at close",
  limbo: "Parked",
  "limbo-check": "Back from parking",
  disposed: "Outcome recorded",
  alert: "Staff alerted",
};

/** Twilio's call statuses, as a leg of a callback reports them. */
const CallLegs = {
  queued: "queued", initiated: "dialing", ringing: "ringing", "in-progress": "on the call", answered: "answered",
  completed: "call ended", busy: "busy", failed: "failed", "no-answer": "no answer", canceled: "canceled",
};

/** The loop SMS's status (recovery_sms.status) and Twilio's delivery status. */
const Sms = {
  requested: "Waiting for the consent check", sent: "Sent", refused: "Not sent: refused", failed: "Not sent: failed",
  unknown: "Being checked with Twilio", queued: "Queued at Twilio", accepted: "Accepted by Twilio", sending: "Sending",
  delivered: "Delivered", undelivered: "Not delivered", read: "Read",
};

/**
 * Why a text is not allowed, for exactly the codes the server sends: the consent service's suppression policy
 * (Consent/Suppression/SuppressionPolicy.cs) and send gate (Consent/Sending/SmsGate.cs), and the orchestrator's SMS
 * route and preview (Orchestrator/Attempts/RecoverySms.cs). Twilio's refusals arrive as twilio-<error code>.
 */
const Suppression = {
  "opted-out": "The customer replied STOP: texting is not allowed.",
  "do-not-contact": "The customer asked not to be contacted.",
  "wrong-number": "The number is flagged as a wrong number.",
  spam: "The number is flagged as spam.",
  "a2p-not-registered": "The shop's texting number is not A2P-registered yet.",
  "no-consent": "No consent on record to text this number.",
  "quiet-hours": "It is quiet hours where the customer is: texting waits.",
  "zone-unknown": "The customer's time zone is unknown, so quiet hours cannot be checked.",
  anonymous: "The caller withheld their number.",
  "invalid-number": "The number cannot receive texts.",
  "invalid-body": "The text is empty or too long to send.",
  "twilio-not-found": "Twilio has no record of the text: it was not sent.",
  "item-completed": "The item is completed.",
  "not-owner": "Claim the item to send the text.",
  "sms-already-sent": "The loop's one SMS has been sent already.",
  "sms-too-long": "Filled in, the text no longer fits one SMS: shorten the windows or the issue.",
  "cannot-call-back": "The caller withheld their number.",
  "consent-unavailable": "The consent service did not answer: try again in a moment.",
};

export const typeLabel = (code) => pick(Types, code);
export const statusLabel = (code) => pick(Statuses, code);
export const occurrenceLabel = (code) => pick(Occurrences, code);
export const timelineLabel = (code) => pick(TimelineKinds, code);
export const legLabel = (code) => pick(CallLegs, code).toLowerCase();
export const smsStatusLabel = (code) => pick(Sms, code);

export function suppressionLabel(code) {
  if (Suppression[code]) { return Suppression[code]; }
  const twilio = /^twilio-(\d+)$/.exec(code ?? "");
  return twilio ? `Twilio refused the text (error ${twilio[1]}).` : `Texting is not allowed: ${humanize(code).toLowerCase()}.`;
}

/**
 * Outcome and reason labels from GET /api/dispositions, as lookups. A disposition recorded with a reason that was
 * added later, or one the list does not know, is shown humanized.
 */
export function dispositionLabels(codes) {
  const outcomes = new Map((codes?.outcomes ?? []).map((entry) => [entry.code, entry.label]));
  const reasons = new Map((codes?.reasons ?? []).map((entry) => [entry.code, entry.label]));
  return {
    outcomes: codes?.outcomes ?? [],
    reasons: codes?.reasons ?? [],
    outcome: (code) => (code ? outcomes.get(code) ?? humanize(code) : ""),
    reason: (code) => (code ? reasons.get(code) ?? humanize(code) : ""),
    /** A disposed entry's detail as the server writes it ("booked-job / price-shopper: note"), in words. */
    detail(text) {
      const match = /^([a-z][a-z0-9-]*)(?: \/ ([a-z][a-z0-9-]*))?(?:: ([\s\S]*))?$/.exec(text ?? "");
      if (!match || !outcomes.has(match[1])) { return text; }
      const [, outcome, reason, note] = match;
      return `${outcomes.get(outcome)}${reason ? ` (${reasons.get(reason) ?? humanize(reason)})` : ""}${note ? `: ${note}` : ""}`;
    },
  };
}
