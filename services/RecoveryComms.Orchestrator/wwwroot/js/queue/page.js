// The CSR's live queue: saved views as tabs with counts, one row per recovery item in priority order with a countdown
// to the shop's marks, and the selected item's panel beside the list. Rows change in place when the live feed says an
// item changed, so a new missed call or another CSR's claim shows without a reload.

import { api, query } from "../api.js";
import { countdownStyle } from "../countdown.js";
import { fill, h } from "../dom.js";
import * as itemPanel from "../item/panel.js";
import { QueueList } from "./list.js";
import { ViewTabs } from "./tabs.js";
import { viewLabel, Views } from "./views.js";

const IdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const Columns = ["Caller", "Type", "Age · clock", "Owners", "Status", "Attempts", "Transcript"];

/** Only an item id selects an item: the id goes into API paths, so nothing else from the address may. */
const itemId = (candidate) => (candidate && IdPattern.test(candidate) ? candidate : undefined);

function layoutFor(view, tabs, list, detail, selected) {
  const table = h("table", { class: "queue-table", id: "queue" },
    h("caption", { class: "visually-hidden" }, `${viewLabel(view)}, in priority order`),
    h("thead", {}, h("tr", {}, Columns.map((name) => h("th", { scope: "col" }, name)))),
    list.body);
  return h("section", { class: `queue ${selected ? "has-selection" : ""}` },
    tabs.element, h("div", { class: "queue-body" }, h("div", { class: "list" }, table, list.empty), detail));
}

/** The selected item's panel beside the list (item/panel.js), or a hint when nothing is selected. */
function selection(detail, context, view) {
  let close = () => {};
  return {
    show(id) {
      close();
      close = () => {};
      if (id) {
        close = itemPanel.render(detail, context, id, view);
      } else {
        fill(detail, h("p", { class: "hint" }, "Pick a caller to see the talk track, call, text and record the outcome."));
      }
    },
    close: () => close(),
  };
}

export function render(container, context, [requestedView = "open", requestedId] = []) {
  const view = Views.some((candidate) => candidate.name === requestedView) ? requestedView : "open";
  let selectedId = itemId(requestedId);
  let disposed = false;
  const tabs = new ViewTabs(view);
  const list = new QueueList({ view, me: context.me.id, style: countdownStyle(context), selectedId });
  const detail = h("aside", { class: "detail", "aria-label": "Selected item" });
  const layout = layoutFor(view, tabs, list, detail, selectedId);
  const panel = selection(detail, context, view);
  fill(container, layout);

  async function load() {
    const { items } = await api(`/api/recoveries${query({ view, limit: 1000 })}`);
    if (disposed) { return; }
    list.load(items);
    tabs.load();
  }

  const stopItems = context.onItem((item) => { list.change(item); tabs.loadSoon(); });
  const stopReconnect = context.onReconnect(() => { load().catch(() => {}); });
  const ticker = setInterval(() => list.tick(Date.now()), 1000);
  panel.show(selectedId);

  // "rc:queue-ready": the rows have been laid out and painted (the frame after the one that drew them), for the
  // benchmark's "interactive" figure.
  load().then(() => requestAnimationFrame(() => setTimeout(() => performance.mark("rc:queue-ready")))).catch((error) => {
    fill(list.body, h("tr", {}, h("td", { colspan: Columns.length, class: "error" }, `The queue could not be loaded: ${error.message}`)));
  });

  function update([nextView = "open", nextId] = []) {
    if (nextView !== view) { return false; }
    const id = itemId(nextId);
    if (id !== selectedId) {
      selectedId = id;
      list.select(id);
      layout.classList.toggle("has-selection", Boolean(id));
      panel.show(id);
    }
    return true;
  }

  function leave() {
    disposed = true;
    stopItems();
    stopReconnect();
    clearInterval(ticker);
    tabs.dispose();
    list.dispose();
    panel.close();
  }

  return { leave, update };
}
