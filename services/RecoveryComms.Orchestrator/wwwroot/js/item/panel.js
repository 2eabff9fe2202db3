// One recovery item beside the queue: who called and how often, the talk track for its type, and what a CSR does
// next — claim, call, the loop's one SMS, the voicemail, the disposition — with the full timeline below. Each part
// is its own module; this one lays them out and re-reads the item whenever the live feed says it changed, so the
// call's state follows Twilio's callbacks.

import { api } from "../api.js";
import { countdownStyle, paintCountdown } from "../countdown.js";
import { fill, h, notify } from "../dom.js";
import { dispositionLabels } from "../labels.js";
import { audioButton } from "./audio.js";
import { paintActions, paintCallState } from "./call.js";
import { paintDisposition } from "./disposition.js";
import { paintHeader } from "./header.js";
import { paintManage } from "./manage.js";
import { SmsSection } from "./sms.js";
import { paintTrack } from "./talk-track.js";
import { Timeline } from "./timeline.js";

function sections(id) {
  return {
    header: h("div", { class: "item-header" }),
    callState: h("p", { class: "call-state", role: "status" }),
    actions: h("div", { class: "actions", role: "group", "aria-label": "Actions" }),
    track: h("section", { class: "talk-track", "aria-label": "Talk track" }),
    voicemail: h("section", { class: "voicemail" }),
    sms: h("section", { class: "sms", "aria-label": "Text message" }),
    disposition: h("section", { class: "disposition", "aria-label": "Disposition" }),
    manage: h("section", { class: "manage" }),
    history: h("section", { class: "history", "aria-label": "Timeline" }),
    countdown: h("span", { class: "countdown" }),
    id,
  };
}

function layout(container, parts, view) {
  fill(container,
    h("a", { href: `#/queue/${view}`, class: "back" }, "← Back to the queue"),
    h("article", { class: "item", dataset: { itemId: parts.id } },
      parts.header, parts.callState, parts.actions, parts.track, parts.voicemail, parts.sms, parts.disposition, parts.manage, parts.history));
}

function paintVoicemail(element, item, id) {
  if (!item.hasRecording) { fill(element); return null; }
  const player = audioButton(`/api/recoveries/${id}/voicemail`, "▶ Play voicemail", { failure: "The voicemail could not be loaded" });
  fill(element, h("h3", {}, "Voicemail"), player.element);
  return player;
}

/** What the item's parts share: the item's id, the reader, and how to post an action and read the item again. */
function panelState(context, id, load) {
  let staff = null;
  const state = {
    id,
    context,
    detail: null,
    disposed: false,
    isManager: context.me.role === "manager" || context.me.role === "admin",
    isOwner: () => state.detail?.item.primaryOwner?.id === context.me.id,
    staff: () => (staff ??= api("/api/staff").catch(() => [])),
    async act(path, body, success) {
      try {
        await api(`/api/recoveries/${id}/${path}`, { method: "POST", body: body ?? {} });
        if (success) { notify(success); }
        await load();
      } catch (error) {
        notify(error.message, "error");
        throw error;
      }
    },
  };
  state.isDisposed = () => state.disposed;
  return state;
}

/** Whether a re-read changed what the SMS, disposition and manager parts are built from. */
function formsChanged(before, item) {
  return !before || before.smsSent !== item.smsSent || before.primaryOwner?.id !== item.primaryOwner?.id || before.status !== item.status;
}

export function render(container, context, id, view) {
  const parts = sections(id);
  const style = countdownStyle(context);
  let labels = dispositionLabels(null);
  let voicemail = null;
  let loading = null;
  layout(container, parts, view);

  const panel = panelState(context, id, () => load());
  const sms = new SmsSection(parts.sms, { id, act: panel.act, isOwner: panel.isOwner, disposed: panel.isDisposed });
  const timeline = new Timeline(parts.history, id);
  // Read beside the item's first read, not before it; without them, codes are shown humanized.
  const labelsRead = context.dispositions().then((read) => { labels = read; }, () => {});

  async function paint(next) {
    const before = panel.detail?.item;
    panel.detail = next;
    const item = next.item;
    paintHeader(parts.header, item, parts.countdown, labels);
    paintCountdown(parts.countdown, item, Date.now(), style);
    paintCallState(parts.callState, next.callAttempts, context.me.id);
    paintActions(parts.actions, item, next.callAttempts, panel);
    timeline.paint(next, { me: context.me.id, isManager: panel.isManager, time: context.time, labels });
    if (!before) { paintTrack(parts.track, item, context); voicemail = paintVoicemail(parts.voicemail, item, id); }
    if (formsChanged(before, item)) {
      await Promise.all([sms.paint(item, next), paintDisposition(parts.disposition, item, panel), paintManage(parts.manage, item, panel)]);
    } else if (!item.smsSent && item.phone) {
      await sms.recheck();
    }
  }

  /** One read at a time; a change that arrives meanwhile triggers one more read after it. */
  function load() {
    if (loading) { loading.again = true; return loading.promise; }
    loading = { again: false };
    loading.promise = (async () => {
      do {
        loading.again = false;
        const next = await api(`/api/recoveries/${id}`);
        await labelsRead;
        if (panel.disposed) { return; }
        await paint(next);
      } while (loading.again && !panel.disposed);
    })().finally(() => { loading = null; });
    return loading.promise;
  }

  const stopItems = context.onItem((item) => { if (item.id === id) { load().catch(() => {}); } });
  const stopReconnect = context.onReconnect(() => { load().catch(() => {}); });
  const ticker = setInterval(() => { if (panel.detail) { paintCountdown(parts.countdown, panel.detail.item, Date.now(), style); } }, 1000);
  load().catch((error) => {
    fill(container, h("p", { class: "error" }, error.status === 404 ? "No such item." : `The item could not be loaded: ${error.message}`),
      h("a", { href: `#/queue/${view}` }, "Back to the queue"));
  });

  return () => {
    panel.disposed = true;
    stopItems();
    stopReconnect();
    clearInterval(ticker);
    sms.dispose();
    timeline.dispose();
    voicemail?.dispose();
  };
}
