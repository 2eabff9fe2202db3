// Compliance: look a number up (consent per channel, and its whole history with evidence), search the ledger by shop
// days and type, download it as CSV, and the chain-integrity badge from the verify endpoint. The consent API is read
// through the orchestrator (/api/consent/…), so the browser talks to one origin.

import { api, apiBlob, query } from "./api.js";
import { field, fill, h, notify } from "./dom.js";
import { formatPhone, humanize } from "./format.js";
import { addDays } from "./shop-time.js";

const StateLabels = { express: "Express consent", implied: "Implied consent", opted_out: "Opted out", do_not_contact: "Do not contact", unknown: "No record" };
const stateLabel = (state) => StateLabels[state] ?? humanize(state);

/** Where a ledger entry came from (the consent service's ConsentChange sources). */
const SourceLabels = {
  api: "Recorded by staff", keyword: "Text keyword", "twilio-opt-out": "Twilio opt-out", "carrier-error": "Carrier error",
  "csr-disposition": "CSR's disposition", "inbound-call": "Inbound call",
};
const sourceLabel = (source) => SourceLabels[source] ?? humanize(source);
const channelLabel = (channel) => ({ sms: "SMS", voice: "Voice" })[channel] ?? humanize(channel);

function eventsTable(events, time) {
  return h("table", { class: "data ledger" },
    h("thead", {}, h("tr", {}, ["#", "When", "Number", "Channel", "Change", "Source", "Actor", "Evidence"].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, events.map((event) => h("tr", {},
      h("td", {}, String(event.id)),
      h("td", {}, time.dateTime(event.occurredAt)),
      h("td", {}, formatPhone(event.phone)),
      h("td", {}, channelLabel(event.channel)),
      h("td", {}, `${stateLabel(event.oldState)} → ${stateLabel(event.newState)}`, event.needsReview ? h("span", { class: "badge warn" }, "needs review") : null),
      h("td", {}, sourceLabel(event.source), event.sourceRef ? h("small", {}, ` ${event.sourceRef}`) : null),
      h("td", {}, event.actor),
      h("td", { class: "evidence" }, event.evidence)))));
}

function consentView(view, time) {
  const flags = [view.flags.wrongNumber ? "Flagged wrong number." : "", view.flags.spam ? " Flagged spam." : ""].join("");
  return h("article", { class: "consent-view" },
    h("h3", {}, formatPhone(view.phone)),
    h("ul", { class: "channels" }, view.channels.length === 0 ? h("li", {}, "No consent on record for any channel.")
      : view.channels.map((channel) => h("li", { dataset: { channel: channel.channel, state: channel.state } },
        h("strong", {}, channel.channel.toUpperCase()), `: ${stateLabel(channel.state)} (since ${time.dateTime(channel.updatedAt)})`))),
    flags ? h("p", { class: "warning" }, flags) : null,
    h("h4", {}, "History"),
    view.history.length === 0 ? h("p", { class: "empty" }, "No ledger entries.") : eventsTable(view.history, time));
}

/** The ledger's filters: shop days (from the start of the first to the end of the last), change and number. */
function ledgerFilters(time) {
  const from = h("input", { type: "date" });
  const to = h("input", { type: "date" });
  const type = h("select", {}, h("option", { value: "" }, "Any change"),
    ["express", "implied", "opted_out", "do_not_contact"].map((state) => h("option", { value: state }, `To: ${stateLabel(state)}`)));
  const phone = h("input", { type: "tel", autocomplete: "off" });
  return {
    fields: [field(`From (shop days, ${time.zoneName()})`, from), field("To (inclusive)", to), field("Change", type), field("Number (optional)", phone)],
    values: () => ({
      from: from.value ? time.startOfDay(from.value).toISOString() : null,
      to: to.value ? time.startOfDay(addDays(to.value, 1)).toISOString() : null,
      type: type.value,
      phone: phone.value.trim(),
    }),
  };
}

async function download(filters) {
  try {
    const blob = await apiBlob(`/api/consent/events.csv${query(filters)}`);
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: `consent-ledger-${new Date().toISOString().slice(0, 10)}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) { notify(error.message, "error"); }
}

/** The ledger's chain check (GET /api/consent/verify) as a badge, with "Check again". */
async function verify(badge, isDisposed) {
  fill(badge, h("span", { class: "chain checking" }, "Checking the ledger's chain…"));
  try {
    const result = await api("/api/consent/verify");
    if (isDisposed()) { return; }
    fill(badge, result.ok
      ? h("span", { class: "chain ok" }, `✔ Chain intact: ${result.events} entries verified`)
      : h("span", { class: "chain broken" }, `✖ Chain broken${result.firstBrokenEventId ? ` at entry ${result.firstBrokenEventId}` : ""}: ${result.problems.join(" ")}`),
    " ", h("button", { type: "button", class: "link", onclick: () => verify(badge, isDisposed) }, "Check again"));
  } catch (error) {
    fill(badge, h("span", { class: "chain broken" }, `The chain could not be checked: ${error.message}`));
  }
}

export function render(container, context) {
  let disposed = false;
  const isDisposed = () => disposed;
  const time = context.time;
  const ledgerAccess = context.me.role === "compliance";
  const badge = h("p", { class: "badge-line", role: "status" });
  const phone = h("input", { type: "tel", required: true, autocomplete: "off", placeholder: "(555) 123-4567" });
  const lookup = h("div");
  const filters = ledgerFilters(time);
  const results = h("div");
  let page = 1;

  async function lookUp() {
    try {
      const view = await api(`/api/consent/${encodeURIComponent(phone.value.trim())}`);
      if (!disposed) { fill(lookup, consentView(view, time)); }
    } catch (error) {
      fill(lookup, h("p", { class: "error" }, error.status === 400 ? "That is not a phone number." : error.message));
    }
  }

  async function search() {
    try {
      const result = await api(`/api/consent/events${query({ ...filters.values(), page, pageSize: 50 })}`);
      if (disposed) { return; }
      const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
      fill(results,
        h("p", {}, `${result.total} entries · page ${result.page} of ${pages}`),
        result.events.length ? eventsTable(result.events, time) : h("p", { class: "empty" }, "No entries match."),
        h("div", { class: "pager" },
          h("button", { type: "button", disabled: page <= 1, onclick: () => { page -= 1; search(); } }, "← Earlier"),
          h("button", { type: "button", disabled: page >= pages, onclick: () => { page += 1; search(); } }, "Later →")));
    } catch (error) {
      fill(results, h("p", { class: "error" }, error.message));
    }
  }

  fill(container, h("section", { class: "compliance" },
    h("h1", {}, "Consent and compliance"),
    ledgerAccess ? badge : null,
    h("h2", {}, "Look up a number"),
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); lookUp(); } }, field("Phone number", phone), h("button", { type: "submit" }, "Look up")),
    lookup,
    ledgerAccess ? [
      h("h2", {}, "Search the ledger"),
      h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); page = 1; search(); } },
        filters.fields,
        h("button", { type: "submit" }, "Search"),
        h("button", { type: "button", onclick: () => download(filters.values()) }, "Download CSV")),
      results,
    ] : h("p", { class: "hint" }, "Ledger search, CSV export and the chain check are for compliance staff.")));

  if (ledgerAccess) { verify(badge, isDisposed); search(); }
  return () => { disposed = true; };
}
