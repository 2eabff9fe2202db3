// What every page gets: who is signed in, the shop's zone and settings (read once, again after a manager saves
// them), the outcome and reason labels, and the live feed to subscribe to.

import { api, openStream } from "./api.js";
import { h, notify } from "./dom.js";
import { dispositionLabels } from "./labels.js";
import { shopTime } from "./shop-time.js";

/** Roles that may read GET /api/settings and GET /api/dispositions and follow the live feed (the API's csr+). */
const Staff = ["csr", "manager", "admin"];

function liveFeed(me, itemListeners, openListeners) {
  const statusElement = h("span", { class: "stream-state", role: "status", title: "Live updates", hidden: !Staff.includes(me.role) }, "Connecting…");
  if (!Staff.includes(me.role)) { return { statusElement, close: () => {} }; }
  const close = openStream({
    onEvent(event, data) {
      if (event === "item") { for (const listener of itemListeners) { listener(data); } }
      if (event === "alert" && data.userId === me.id) { notify(data.text, "alert"); }
    },
    onOpen() { for (const listener of openListeners) { listener(); } },
    onState(state) {
      statusElement.dataset.state = state;
      statusElement.textContent = { live: "● Live", connecting: "Connecting…", offline: "Offline: reconnecting" }[state];
    },
  });
  return { statusElement, close };
}

/**
 * The shop as the console shows it: its zone (GET /api/console/shop, which every signed-in role may read) and, for
 * staff, its settings (the loop's windows, talk tracks). Either may fail: the page then falls back to the settings'
 * zone or the browser's, and to each item's own due times.
 */
async function readShop(me) {
  const [shop, settings] = await Promise.all([
    api("/api/console/shop").catch(() => null),
    Staff.includes(me.role) ? api("/api/settings").catch(() => null) : null,
  ]);
  const zone = shop?.timeZone || settings?.timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  return { settings, time: shopTime(zone), setup: shop?.setup ?? [] };
}

export async function createContext(me) {
  const itemListeners = new Set();
  const openListeners = new Set();
  const shopListeners = new Set();
  const feed = liveFeed(me, itemListeners, openListeners);
  let dispositions = null;
  const context = {
    me,
    statusElement: feed.statusElement,
    /** The shop's settings (GET /api/settings), or null for a role that may not read them or when they failed to load. */
    settings: null,
    /** Times in the shop's zone (shop-time.js). */
    time: null,
    /** What the shop must still set up so every callback has two named owners (shown above every page). */
    setup: [],
    /** Reads the zone and settings again (after a manager saved them, or changed the rotation). */
    async reloadShop() {
      Object.assign(context, await readShop(me));
      for (const listener of shopListeners) { listener(); }
    },
    onShop(listener) { shopListeners.add(listener); return () => shopListeners.delete(listener); },
    /** Outcome and reason labels (labels.js), read once. */
    dispositions() {
      dispositions ??= api("/api/dispositions").then(dispositionLabels).catch((error) => { dispositions = null; throw error; });
      return dispositions;
    },
    /** After a manager added a reason. */
    dispositionsChanged() { dispositions = null; },
    onItem(listener) { itemListeners.add(listener); return () => itemListeners.delete(listener); },
    onReconnect(listener) { openListeners.add(listener); return () => openListeners.delete(listener); },
    close: feed.close,
  };
  try {
    await context.reloadShop();
  } catch (error) {
    feed.close();
    throw error;
  }
  return context;
}
