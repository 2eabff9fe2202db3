// One recovery item beside the queue: who called and how often, the talk track for its type, and what a CSR does
// next — claim, call, the loop's one SMS, the voicemail, the disposition — with the full timeline below.
// The panel re-reads the item whenever the live feed says it changed, so the call's state follows Twilio's callbacks.

import { api, apiBlob, ApiError, query } from "./api.js";
import { dateTime, fill, field, formatPhone, h, notify, StatusLabels, suppressionLabel, time, TypeLabels } from "./dom.js";
import { paintCountdown } from "./queue.js";

const CallStates = {
  placing: "Placing the call…",
  "ringing-csr": "Ringing your phone — answer it to be connected.",
  connecting: "You answered: ringing the customer from the shop line…",
  answered: "Connected with the customer.",
  "no-answer": "The customer did not answer.",
  busy: "The customer's line was busy.",
  failed: "The call failed.",
  canceled: "The call was canceled.",
  "csr-unreachable": "Your phone did not answer, so the customer was not called.",
  "not-placed": "The call could not be placed.",
};

const FinalResults = new Set(["answered", "no-answer", "busy", "failed", "canceled", "csr-unreachable", "not-placed"]);

/** Which talk track fits an item's type. */
function scriptFor(type) {
  if (type === "voicemail") { return "voicemail"; }
  if (["promised-update", "warranty", "post-job", "estimate"].includes(type)) { return "followUp"; }
  return "call";
}

const FallbackTracks = {
  call: "Hi {customer}, this is {csr} from {shop} returning your call. I'm sorry we missed you — how can we help today?",
  voicemail: "Hi {customer}, this is {csr} from {shop}. I got your voicemail and I'm calling you right back. ",
  followUp: "Hi {customer}, this is {csr} from {shop}, following up as promised.",
};

export function fillTrack(text, values) {
  return text.replace(/\{(customer|csr|shop)\}/g, (_, name) => values[name]);
}

export function render(container, context, id, view) {
  let disposed = false;
  let detail = null;
  let audioUrl = null;
  let previewTimer = 0;
  const me = context.me;

  const header = h("div", { class: "item-header" });
  const callState = h("p", { class: "call-state", role: "status" });
  const actions = h("div", { class: "actions", role: "group", "aria-label": "Actions" });
  const track = h("section", { class: "talk-track", "aria-label": "Talk track" });
  const sms = h("section", { class: "sms", "aria-label": "Text message" });
  const voicemail = h("section", { class: "voicemail" });
  const disposition = h("section", { class: "disposition", "aria-label": "Disposition" });
  const manage = h("section", { class: "manage" });
  const history = h("section", { class: "history", "aria-label": "Timeline" });
  const countdown = h("span", { class: "countdown" });
  fill(container,
    h("a", { href: `#/queue/${view}`, class: "back" }, "← Back to the queue"),
    h("article", { class: "item", dataset: { itemId: id } }, header, callState, actions, track, voicemail, sms, disposition, manage, history));

  const isOwner = () => detail?.item.primaryOwner?.id === me.id;
  const isManager = () => me.role === "manager" || me.role === "admin";

  async function act(path, body, success) {
    try {
      await api(`/api/recoveries/${id}/${path}`, { method: "POST", body: body ?? {} });
      if (success) { notify(success); }
      await load();
    } catch (error) {
      notify(error.message, "error");
      throw error;
    }
  }

  function paintHeader(item) {
    fill(header,
      h("h2", {}, formatPhone(item.phone), item.accountName ? h("span", { class: "account" }, ` · ${item.accountName}`) : null),
      h("p", { class: "meta" },
        h("span", { class: "badge" }, TypeLabels[item.type] || item.type),
        " ",
        h("span", { class: `status-badge s-${item.status}` }, StatusLabels[item.status] || item.status),
        item.occurrences > 1 ? h("span", { class: "badge repeat" }, `${item.occurrences} calls`) : null,
        " ", countdown),
      h("p", { class: "meta" },
        `Primary: ${item.primaryOwner?.name ?? "nobody"} · Backup: ${item.backupOwner?.name ?? "nobody"} · `,
        `${Math.min(item.attempts, 2)}/2 calls · ${item.smsSent ? "SMS sent" : "no SMS yet"}${item.voicemailLeft ? " · voicemail left" : ""}`),
      item.transcript ? h("blockquote", { class: "transcript" }, item.transcript) : null,
      item.cannotCallBack ? h("p", { class: "warning" }, "The caller's number was withheld: there is no one to call back.") : null,
      item.outcome ? h("p", { class: "outcome" }, `Outcome: ${item.outcome}${item.reason ? ` (${item.reason})` : ""}${item.note ? ` — ${item.note}` : ""}`) : null);
    paintCountdown(countdown, item, Date.now());
  }

  function paintCallState(attempts) {
    const last = attempts[attempts.length - 1];
    if (!last) { callState.textContent = ""; return; }
    const legs = [last.csrLegStatus && `your phone: ${last.csrLegStatus}`, last.customerLegStatus && `customer: ${last.customerLegStatus}`].filter(Boolean).join(", ");
    callState.textContent = `Call ${attempts.length}: ${CallStates[last.result] || last.result}${legs ? ` (${legs})` : ""}`;
    callState.dataset.result = last.result;
  }

  function paintActions(item, attempts) {
    const open = item.status !== "completed";
    const calling = attempts.some((attempt) => !FinalResults.has(attempt.result));
    const buttons = [];
    if (open && !isOwner()) {
      buttons.push(h("button", { type: "button", class: "primary", onclick: () => act("claim", {}, "You own this callback now.") }, "Claim"));
    }
    if (open && !item.cannotCallBack) {
      buttons.push(h("button", {
        type: "button", class: isOwner() ? "primary" : "", disabled: !isOwner() || calling || item.attempts >= 2,
        title: !isOwner() ? "Claim the item to call" : item.attempts >= 2 ? "Both attempts are made" : "",
        onclick: () => act("call", {}, "Calling your phone first; answer it to reach the customer."),
      }, calling ? "Calling…" : `Call (attempt ${Math.min(item.attempts + 1, 2)} of 2)`));
      if (isOwner() && !item.voicemailLeft && item.attempts > 0) {
        buttons.push(h("button", { type: "button", onclick: () => act("voicemail-left", {}, "Recorded: voicemail left.") }, "I left a voicemail"));
      }
    }
    fill(actions, buttons);
  }

  async function paintTrack(item) {
    let tracks = FallbackTracks;
    let shop = "our shop";
    try {
      const settings = await context.settings();
      tracks = { ...FallbackTracks, ...settings.talkTracks };
      shop = settings.shopName || shop;
    } catch { /* the built-in scripts are better than none */ }
    const which = scriptFor(item.type);
    const text = fillTrack(tracks[which], { customer: item.accountName || "there", csr: me.name, shop });
    fill(track, h("h3", {}, "Say this first"), h("p", { class: "script" }, text));
  }

  async function paintVoicemail(item) {
    if (!item.hasRecording) { fill(voicemail); return; }
    const player = h("audio", { controls: true, preload: "none", hidden: true });
    const button = h("button", { type: "button", onclick: async () => {
      button.disabled = true;
      try {
        if (!audioUrl) { audioUrl = URL.createObjectURL(await apiBlob(`/api/recoveries/${id}/voicemail`)); }
        player.src = audioUrl;
        player.hidden = false;
        await player.play().catch(() => {});
      } catch (error) {
        notify(`The voicemail could not be loaded: ${error.message}`, "error");
      } finally {
        button.disabled = false;
      }
    } }, "▶ Play voicemail");
    fill(voicemail, h("h3", {}, "Voicemail"), button, player);
  }

  let smsRefresh = null;
  async function paintSms(item) {
    smsRefresh = null;
    // The customer texted STOP: the loop ended there, and the reason replaces any way to text them.
    const stopped = item.outcome === "opted-out"
      ? h("div", { class: "suppressed", role: "note" }, h("strong", {}, "Texting is not allowed"),
        h("ul", {}, h("li", { dataset: { reason: "opted-out" } }, suppressionLabel("opted-out"))))
      : null;
    if (item.smsSent) {
      const sent = detail.sms.find((message) => !["refused", "failed"].includes(message.status)) || detail.sms[0];
      const pending = !sent || ["requested", "unknown"].includes(sent.status);
      fill(sms, h("h3", {}, "Text message"),
        h("p", { role: "status" }, pending ? "The loop's one SMS is on its way: the consent gate is checking it…" : "The loop's one SMS has been sent."),
        sent ? h("blockquote", { class: "sms-body" }, sent.body) : null,
        sent ? h("p", { class: "meta" }, `Status: ${sent.delivery || sent.status}`) : null, stopped);
      return;
    }
    if (stopped) { fill(sms, h("h3", {}, "Text message"), stopped); return; }
    if (item.status === "completed" || !item.phone) { fill(sms); return; }
    const windowA = h("input", { type: "text", maxlength: 40, autocomplete: "off" });
    const windowB = h("input", { type: "text", maxlength: 40, autocomplete: "off" });
    const issue = h("input", { type: "text", maxlength: 60, autocomplete: "off", placeholder: "optional, e.g. about the water heater" });
    const preview = h("blockquote", { class: "sms-body", "aria-live": "polite" });
    const counter = h("p", { class: "counter" });
    const place = h("div", { class: "sms-send" });
    const form = h("form", { class: "sms-form", onsubmit: async (event) => {
      event.preventDefault();
      const send = form.querySelector("button[type=submit]");
      if (send) { send.disabled = true; }
      try {
        await act("sms", { windowA: windowA.value, windowB: windowB.value, issue: issue.value || null }, "SMS sent.");
      } catch (error) {
        if (error instanceof ApiError && error.reasons.length) { showRefusal(error.reasons); }
        if (send) { send.disabled = false; }
      }
    } },
    h("div", { class: "row" }, field("First window", windowA), field("Second window", windowB)),
    field("Issue", issue),
    h("p", { class: "label" }, "The customer will read:"), preview, counter, place);

    function showRefusal(reasons) {
      fill(place, h("div", { class: "suppressed", role: "note" },
        h("strong", {}, "Texting is not allowed"), h("ul", {}, reasons.map((reason) => h("li", { dataset: { reason } }, suppressionLabel(reason))))));
    }

    async function refresh(first) {
      try {
        const preview_ = await api(`/api/recoveries/${id}/sms/preview${query(first ? {} : { windowA: windowA.value, windowB: windowB.value, issue: issue.value })}`);
        if (disposed) { return; }
        if (first) { windowA.value = preview_.windowA ?? ""; windowB.value = preview_.windowB ?? ""; }
        preview.textContent = preview_.body;
        counter.textContent = `${preview_.units} ${preview_.gsm7 ? "characters" : "characters (Unicode)"} · ${preview_.segments} segment${preview_.segments === 1 ? "" : "s"}`;
        counter.classList.toggle("over", preview_.segments > 1);
        const blocking = preview_.reasons.filter((reason) => reason !== "not-owner");
        if (blocking.length) {
          showRefusal(blocking);
        } else if (!preview_.allowed || !isOwner()) {
          fill(place, h("p", { class: "hint" }, "Claim the item to send the text."));
        } else {
          fill(place, h("button", { type: "submit", class: "primary" }, "Send SMS"));
        }
      } catch (error) {
        fill(place, h("p", { class: "error" }, error instanceof ApiError && error.status === 400 ? error.message : `No preview: ${error.message}`));
      }
    }

    for (const input of [windowA, windowB, issue]) {
      input.addEventListener("input", () => { clearTimeout(previewTimer); previewTimer = setTimeout(() => refresh(false), 250); });
    }
    fill(sms, h("h3", {}, "Text message (one per loop)"), form);
    smsRefresh = refresh;
    await refresh(true);
  }

  let codes = null;
  async function paintDisposition(item) {
    if (item.status === "completed" || !(isOwner() || isManager())) { fill(disposition); return; }
    codes ??= await api("/api/dispositions");
    const outcome = h("select", { required: true },
      h("option", { value: "" }, "Choose the outcome…"), codes.outcomes.map((code) => h("option", { value: code.code }, code.label)));
    const reason = h("select", {}, h("option", { value: "" }, "No reason"), codes.reasons.map((code) => h("option", { value: code.code }, code.label)));
    const note = h("input", { type: "text", maxlength: 200, autocomplete: "off" });
    const when = h("input", { type: "datetime-local" });
    const whenField = field("Call back at", when);
    whenField.hidden = true;
    outcome.addEventListener("change", () => {
      whenField.hidden = outcome.value !== "reschedule-requested";
      when.required = !whenField.hidden;
    });
    const error = h("p", { class: "error", role: "alert" });
    const form = h("form", { onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = "";
      try {
        await act("disposition", {
          outcome: outcome.value, reason: reason.value || null, note: note.value || null,
          rescheduleAt: when.value ? new Date(when.value).toISOString() : null,
        }, "Outcome recorded.");
      } catch (failure) {
        error.textContent = failure.message;
      }
    } },
    h("h3", {}, "Record the outcome"),
    h("div", { class: "row" }, field("Outcome", outcome), field("Reason", reason)),
    field("Note", note), whenField, h("button", { type: "submit" }, "Save outcome"), error);
    fill(disposition, form);
  }

  let staff = null;
  async function paintManage(item) {
    if (!isManager() || item.status === "completed") { fill(manage); return; }
    try { staff ??= await api("/api/staff"); } catch { staff = []; }
    const primary = h("select", {}, staff.map((person) => h("option", { value: person.id, selected: person.id === item.primaryOwner?.id }, `${person.name} (${person.role})`)));
    const backup = h("select", {}, h("option", { value: "" }, "—"),
      staff.map((person) => h("option", { value: person.id, selected: person.id === item.backupOwner?.id }, `${person.name} (${person.role})`)));
    fill(manage, h("form", { class: "reassign", onsubmit: (event) => {
      event.preventDefault();
      act("reassign", { primaryOwnerId: primary.value, backupOwnerId: backup.value || null }, "Reassigned.").catch(() => {});
    } },
    h("h3", {}, "Manager"),
    h("div", { class: "row" }, field("Primary owner", primary), field("Backup owner", backup)),
    h("button", { type: "submit" }, "Reassign"),
    item.status !== "escalated" ? h("button", { type: "button", onclick: () => act("escalate", {}, "Escalated.").catch(() => {}) }, "Escalate") : null));
  }

  function paintHistory() {
    const rows = [...detail.timeline].reverse().map((entry) => h("li", {},
      h("time", { datetime: entry.at }, dateTime(entry.at)), " ",
      h("strong", {}, entry.actorName), " ",
      h("span", { class: "kind" }, entry.kind), entry.detail ? ` — ${entry.detail}` : ""));
    const attempts = detail.callAttempts.map((attempt, index) => h("li", {},
      `Call ${index + 1} by ${attempt.csrName} at ${time(attempt.startedAt)}: ${CallStates[attempt.result] || attempt.result}`,
      attempt.recorded && isManager() ? recordingButton(attempt) : null));
    fill(history,
      detail.occurrences.length ? h("div", {}, h("h3", {}, "Calls from this customer"),
        h("ul", {}, detail.occurrences.map((o) => h("li", {}, `${dateTime(o.occurredAt)} — ${o.kind}${o.caller ? ` from ${formatPhone(o.caller)}` : ""}`)))) : null,
      attempts.length ? h("div", {}, h("h3", {}, "Attempts"), h("ul", {}, attempts)) : null,
      h("h3", {}, "Timeline"), h("ol", { class: "timeline", reversed: true }, rows));
  }

  function recordingButton(attempt) {
    const player = h("audio", { controls: true, preload: "none", hidden: true });
    const button = h("button", { type: "button", class: "link", onclick: async () => {
      try {
        player.src = URL.createObjectURL(await apiBlob(`/api/recoveries/${id}/attempts/${attempt.id}/recording`));
        player.hidden = false;
        await player.play().catch(() => {});
      } catch (error) { notify(error.message, "error"); }
    } }, "▶ recording");
    return h("span", {}, " ", button, player);
  }

  let loading = null;
  async function load() {
    // One read at a time; a change that arrives meanwhile triggers one more read after it.
    if (loading) { loading.again = true; return loading.promise; }
    loading = { again: false };
    loading.promise = (async () => {
      do {
        loading.again = false;
        const next = await api(`/api/recoveries/${id}`);
        if (disposed) { return; }
        const smsWasSent = detail?.item.smsSent;
        const ownerWas = detail?.item.primaryOwner?.id;
        const statusWas = detail?.item.status;
        const firstPaint = !detail;
        detail = next;
        const item = detail.item;
        paintHeader(item);
        paintCallState(detail.callAttempts);
        paintActions(item, detail.callAttempts);
        paintHistory();
        if (firstPaint) { paintTrack(item); paintVoicemail(item); }
        if (firstPaint || smsWasSent !== item.smsSent || ownerWas !== item.primaryOwner?.id || statusWas !== item.status) {
          await Promise.all([paintSms(item), paintDisposition(item), paintManage(item)]);
        } else if (!item.smsSent && item.phone) {
          // Consent can change under an open panel (a STOP arrives): re-check whether texting is allowed, keeping
          // what the CSR typed.
          await smsRefresh?.(false);
        }
      } while (loading.again && !disposed);
    })().finally(() => { loading = null; });
    return loading.promise;
  }

  const stop = context.onItem((item) => { if (item.id === id) { load().catch(() => {}); } });
  const stopReconnect = context.onReconnect(() => { load().catch(() => {}); });
  const ticker = setInterval(() => { if (detail) { paintCountdown(countdown, detail.item, Date.now()); } }, 1000);
  load().catch((error) => {
    fill(container, h("p", { class: "error" }, error.status === 404 ? "No such item." : `The item could not be loaded: ${error.message}`),
      h("a", { href: `#/queue/${view}` }, "Back to the queue"));
  });

  return () => {
    disposed = true;
    stop();
    stopReconnect();
    clearInterval(ticker);
    clearTimeout(previewTimer);
    if (audioUrl) { URL.revokeObjectURL(audioUrl); }
  };
}
