// The view's rows in the server's priority order (priority, sortAt, id), kept sorted as the live feed's changes
// arrive: a change costs a binary search and one DOM move, not a sort of the whole queue, and changes are applied
// once per animation frame, so a burst of new calls into a queue of thousands stays cheap. Countdowns tick only on
// the rows on screen (a queue of thousands would otherwise restyle every row each second).

import { paintCountdown } from "../countdown.js";
import { h } from "../dom.js";
import { rowFor } from "./rows.js";
import { inView } from "./views.js";

function compare(a, b) {
  return a.priority - b.priority || Date.parse(a.sortAt) - Date.parse(b.sortAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class QueueList {
  #view; #me; #style; #selectedId;
  #sorted = [];
  #items = new Map();
  #rows = new Map();
  #pending = new Map();
  #visible = new Set();
  #frame = 0;
  #seen;

  constructor({ view, me, style, selectedId }) {
    this.#view = view;
    this.#me = me;
    this.#style = style;
    this.#selectedId = selectedId;
    this.body = h("tbody");
    this.empty = h("p", { class: "empty", hidden: true }, "Nothing waiting here. New calls appear as they come in.");
    this.#seen = new IntersectionObserver((entries) => this.#onSeen(entries));
  }

  /** Replaces the rows with the server's list (in priority order); changes that arrived meanwhile are newer and win. */
  load(list) {
    const newer = new Map([...this.#items.values(), ...this.#pending.values()].map((item) => [item.id, item]));
    for (const item of [...this.#sorted]) { this.#remove(item); }
    for (const item of list) {
      const known = newer.get(item.id);
      if ((known?.version ?? -1) > item.version) { this.#pending.set(item.id, known); continue; }
      this.#sorted.push(item);
      this.#track(item);
    }
    this.body.replaceChildren(...this.#sorted.map((item) => this.#rows.get(item.id)));
    this.#showEmpty();
    if (this.#pending.size) { this.#applySoon(); }
  }

  /** A change from the live feed, applied at the next frame. */
  change(item) {
    this.#pending.set(item.id, item);
    this.#applySoon();
  }

  select(id) {
    this.#rows.get(this.#selectedId)?.classList.remove("selected");
    this.#selectedId = id;
    this.#rows.get(id)?.classList.add("selected");
  }

  tick(now) {
    for (const row of this.#visible) { paintCountdown(row.countdown, row.item, now, this.#style); }
  }

  dispose() {
    this.#seen.disconnect();
    if (this.#frame) { cancelAnimationFrame(this.#frame); }
  }

  #applySoon() {
    if (!this.#frame) { this.#frame = requestAnimationFrame(() => this.#apply()); }
  }

  #apply() {
    this.#frame = 0;
    const now = Date.now();
    for (const [id, item] of this.#pending) {
      const known = this.#items.get(id);
      if (known && known.version > item.version) { continue; }
      if (known) { this.#remove(known); }
      if (inView(this.#view, item, this.#me, now)) { this.#insert(item); }
    }
    this.#pending.clear();
    this.#showEmpty();
  }

  #track(item) {
    const row = rowFor(item, this.#view, this.#style);
    if (item.id === this.#selectedId) { row.classList.add("selected"); }
    this.#items.set(item.id, item);
    this.#rows.set(item.id, row);
    this.#seen.observe(row);
    return row;
  }

  #insert(item) {
    const row = this.#track(item);
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compare(this.#sorted[middle], item) <= 0) { low = middle + 1; } else { high = middle; }
    }
    this.#sorted.splice(low, 0, item);
    const next = this.#sorted[low + 1];
    this.body.insertBefore(row, next ? this.#rows.get(next.id) : null);
  }

  #remove(item) {
    const index = this.#sorted.indexOf(item);
    if (index >= 0) { this.#sorted.splice(index, 1); }
    const row = this.#rows.get(item.id);
    if (row) { this.#visible.delete(row); this.#seen.unobserve(row); row.remove(); }
    this.#rows.delete(item.id);
    this.#items.delete(item.id);
  }

  #showEmpty() { this.empty.hidden = this.#sorted.length > 0; }

  #onSeen(entries) {
    const now = Date.now();
    for (const entry of entries) {
      if (entry.isIntersecting) {
        this.#visible.add(entry.target);
        paintCountdown(entry.target.countdown, entry.target.item, now, this.#style);
      } else {
        this.#visible.delete(entry.target);
      }
    }
  }
}
