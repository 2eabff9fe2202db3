// The views as tabs, each with its count (GET /api/recoveries/counts, re-read at most once a second, so a burst of
// 200 calls a second makes one request).

import { api } from "../api.js";
import { h } from "../dom.js";
import { Views } from "./views.js";

export class ViewTabs {
  #counts = new Map();
  #timer = 0;

  constructor(current) {
    this.element = h("div", { class: "tabs", role: "navigation", "aria-label": "Queue views" },
      Views.map((view) => {
        const count = h("span", { class: "count" }, "");
        this.#counts.set(view.name, count);
        return h("a", { href: `#/queue/${view.name}`, class: "tab", "aria-current": view.name === current ? "page" : null }, view.label, " ", count);
      }));
  }

  async load() {
    this.#timer = 0;
    try {
      const { counts } = await api("/api/recoveries/counts");
      for (const [name, element] of this.#counts) {
        const value = counts[name] ?? 0;
        element.textContent = value >= 1000 ? "1000+" : String(value);
      }
    } catch { /* the badges keep their last value */ }
  }

  loadSoon() {
    if (!this.#timer) { this.#timer = setTimeout(() => this.load(), 1000); }
  }

  dispose() { clearTimeout(this.#timer); }
}
