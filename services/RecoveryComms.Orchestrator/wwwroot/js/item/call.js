// The call buttons (claim, call, "I left a voicemail") and the latest attempt's state in words. The state speaks to
// whoever placed the call ("Ringing your phone — answer it"); everyone else reads whose phone it is.

import { h, fill } from "../dom.js";
import { legLabel } from "../labels.js";

/** Each attempt result (call_attempts.result), for the CSR who placed the call and for anyone else watching. */
const States = {
  placing: ["Placing the call…", (name) => `${name} is placing a call…`],
  "ringing-csr": ["Ringing your phone — answer it to be connected.", (name) => `Ringing ${name}'s phone…`],
  connecting: ["You answered: ringing the customer from the shop line…", (name) => `${name} answered: ringing the customer from the shop line…`],
  answered: ["Connected with the customer.", (name) => `${name} connected with the customer.`],
  "no-answer": ["The customer did not answer."],
  busy: ["The customer's line was busy."],
  failed: ["The call failed."],
  canceled: ["The call was canceled."],
  "csr-unreachable": ["Your phone did not answer, so the customer was not called.", (name) => `${name}'s phone did not answer, so the customer was not called.`],
  "not-placed": ["The call could not be placed."],
};

const isMine = (attempt, me) => attempt.csrId === me;

/** One attempt's result in words, for the reader `me` (a user id). */
export function attemptText(attempt, me) {
  const [own, others] = States[attempt.result] ?? [`The call's state is ${legLabel(attempt.result)}.`];
  return isMine(attempt, me) || !others ? own : others(attempt.csrName || "A colleague");
}

function legsText(attempt, me) {
  const phone = isMine(attempt, me) ? "your phone" : `${attempt.csrName || "the CSR"}'s phone`;
  return [attempt.csrLegStatus && `${phone}: ${legLabel(attempt.csrLegStatus)}`,
    attempt.customerLegStatus && `customer: ${legLabel(attempt.customerLegStatus)}`].filter(Boolean).join(", ");
}

export function paintCallState(element, attempts, me) {
  const last = attempts[attempts.length - 1];
  if (!last) { element.textContent = ""; return; }
  const legs = legsText(last, me);
  element.textContent = `Call ${attempts.length}: ${attemptText(last, me)}${legs ? ` (${legs})` : ""}`;
  element.dataset.result = last.result;
}

/** An attempt still under way: the server sets endedAt once its result is final. */
const underWay = (attempts) => attempts.some((attempt) => !attempt.endedAt);

export function paintActions(element, item, attempts, panel) {
  const open = item.status !== "completed";
  const owner = panel.isOwner();
  const calling = underWay(attempts);
  const buttons = [];
  if (open && !owner) {
    buttons.push(h("button", { type: "button", class: "primary", onclick: () => panel.act("claim", {}, "You own this callback now.") }, "Claim"));
  }
  if (open && !item.cannotCallBack) {
    buttons.push(h("button", {
      type: "button", class: owner ? "primary" : "", disabled: !owner || calling || item.attempts >= 2,
      title: !owner ? "Claim the item to call" : item.attempts >= 2 ? "Both attempts are made" : "",
      onclick: () => panel.act("call", {}, "Calling your phone first; answer it to reach the customer."),
    }, calling ? "Calling…" : `Call (attempt ${Math.min(item.attempts + 1, 2)} of 2)`));
    if (owner && !item.voicemailLeft && item.attempts > 0) {
      buttons.push(h("button", { type: "button", onclick: () => panel.act("voicemail-left", {}, "Recorded: voicemail left.") }, "I left a voicemail"));
    }
  }
  fill(element, buttons);
}
