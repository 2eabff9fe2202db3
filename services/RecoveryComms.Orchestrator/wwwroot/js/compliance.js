// Compliance: look a number up (consent per channel, and its whole history with evidence), search the ledger by date
// and type, download it as CSV, and the chain-integrity badge from the verify endpoint. The consent API is read
// through the orchestrator (/api/consent/…), so the browser talks to one origin.

import { api, apiBlob, query } from "./api.js";
import { dateTime, fill, field, formatPhone, h, notify } from "./dom.js";

const StateLabels = { express: "Express consent", implied: "Implied consent", opted_out: "Opted out", do_not_contact: "Do not contact", unknown: "No record" };
const label = (state) => StateLabels[state] || state;

function eventsTable(events) {
  return h("table", { class: "data ledger" },
    h("thead", {}, h("tr", {}, ["#", "When", "Number", "Channel", "Change", "Source", "Actor", "Evidence"].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, events.map((event) => h("tr", {},
      h("td", {}, String(event.id)),
      h("td", {}, dateTime(event.occurredAt)),
      h("td", {}, formatPhone(event.phone)),
      h("td", {}, event.channel),
      h("td", {}, `${label(event.oldState)} → ${label(event.newState)}`, event.needsReview ? h("span", { class: "badge warn" }, "needs review") : null),
      h("td", {}, event.source, event.sourceRef ? h("small", {}, ` ${event.sourceRef}`) : null),
      h("td", {}, event.actor),
      h("td", { class: "evidence" }, event.evidence)))));
}

export function render(container, context) {
  let disposed = false;
  const ledgerAccess = context.me.role === "compliance";
  const badge = h("p", { class: "badge-line", role: "status" });
  const phone = h("input", { type: "tel", required: true, autocomplete: "off", placeholder: "(555) 123-4567" });
  const lookup = h("div");
  const from = h("input", { type: "date" });
  const to = h("input", { type: "date" });
  const type = h("select", {}, h("option", { value: "" }, "Any change"),
    ["express", "implied", "opted_out", "do_not_contact"].map((state) => h("option", { value: state }, `To: ${label(state)}`)));
  const ledgerPhone = h("input", { type: "tel", autocomplete: "off" });
  const results = h("div");
  let page = 1;

  fill(container, h("section", { class: "compliance" },
    h("h1", {}, "Consent and compliance"),
    ledgerAccess ? badge : null,
    h("h2", {}, "Look up a number"),
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); lookUp(); } }, field("Phone number", phone), h("button", { type: "submit" }, "Look up")),
    lookup,
    ledgerAccess ? [
      h("h2", {}, "Search the ledger"),
      h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); page = 1; search(); } },
        field("From", from), field("To (inclusive)", to), field("Change", type), field("Number (optional)", ledgerPhone),
        h("button", { type: "submit" }, "Search"),
        h("button", { type: "button", onclick: download }, "Download CSV")),
      results,
    ] : h("p", { class: "hint" }, "Ledger search, CSV export and the chain check are for compliance staff.")));

  function filters() {
    const end = to.value ? new Date(`${to.value}T00:00`) : null;
    if (end) { end.setDate(end.getDate() + 1); }
    return {
      from: from.value ? new Date(`${from.value}T00:00`).toISOString() : null,
      to: end ? end.toISOString() : null,
      type: type.value,
      phone: ledgerPhone.value.trim(),
    };
  }

  async function lookUp() {
    try {
      const view = await api(`/api/consent/${encodeURIComponent(phone.value.trim())}`);
      if (disposed) { return; }
      fill(lookup, h("article", { class: "consent-view" },
        h("h3", {}, formatPhone(view.phone)),
        h("ul", { class: "channels" }, view.channels.length === 0 ? h("li", {}, "No consent on record for any channel.")
          : view.channels.map((channel) => h("li", { dataset: { channel: channel.channel, state: channel.state } },
            h("strong", {}, channel.channel.toUpperCase()), `: ${label(channel.state)} (since ${dateTime(channel.updatedAt)})`))),
        view.flags.wrongNumber || view.flags.spam ? h("p", { class: "warning" }, [view.flags.wrongNumber ? "Flagged wrong number." : "", view.flags.spam ? " Flagged spam." : ""].join("")) : null,
        h("h4", {}, "History"),
        view.history.length === 0 ? h("p", { class: "empty" }, "No ledger entries.") : eventsTable(view.history)));
    } catch (error) {
      fill(lookup, h("p", { class: "error" }, error.status === 400 ? "That is not a phone number." : error.message));
    }
  }

  async function search() {
    try {
      const result = await api(`/api/consent/events${query({ ...filters(), page, pageSize: 50 })}`);
      if (disposed) { return; }
      const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
      fill(results,
        h("p", {}, `${result.total} entries · page ${result.page} of ${pages}`),
        result.events.length ? eventsTable(result.events) : h("p", { class: "empty" }, "No entries match."),
        h("div", { class: "pager" },
          h("button", { type: "button", disabled: page <= 1, onclick: () => { page -= 1; search(); } }, "← Earlier"),
          h("button", { type: "button", disabled: page >= pages, onclick: () => { page += 1; search(); } }, "Later →")));
    } catch (error) {
      fill(results, h("p", { class: "error" }, error.message));
    }
  }

  async function download() {
    try {
      const blob = await apiBlob(`/api/consent/events.csv${query(filters())}`);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: `consent-ledger-${new Date().toISOString().slice(0, 10)}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (error) { notify(error.message, "error"); }
  }

  async function verify() {
    fill(badge, h("span", { class: "chain checking" }, "Checking the ledger's chain…"));
    try {
      const result = await api("/api/consent/verify");
      if (disposed) { return; }
      fill(badge, result.ok
        ? h("span", { class: "chain ok" }, `✔ Chain intact: ${result.events} entries verified`)
        : h("span", { class: "chain broken" }, `✖ Chain broken${result.firstBrokenEventId ? ` at entry ${result.firstBrokenEventId}` : ""}: ${result.problems.join(" ")}`),
      " ", h("button", { type: "button", class: "link", onclick: verify }, "Check again"));
    } catch (error) {
      fill(badge, h("span", { class: "chain broken" }, `The chain could not be checked: ${error.message}`));
    }
  }

  if (ledgerAccess) { verify(); search(); }
  return () => { disposed = true; };
}
