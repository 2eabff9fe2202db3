// "Say this first": the shop's talk track for the item's type (GET /api/settings), filled with the customer's, the
// CSR's and the shop's names.

import { fill, h } from "../dom.js";

/** Used only when the settings could not be read: the built-in scripts are better than none. */
const FallbackTracks = {
  call: "Hi {customer}, this is {csr} from {shop} returning your call. I'm sorry we missed you — how can we help today?",
  voicemail: "Hi {customer}, this is {csr} from {shop}. I got your voicemail and I'm calling you right back. ",
  followUp: "Hi {customer}, this is {csr} from {shop}, following up as promised.",
};

/** Which of the settings' three tracks fits an item's type. */
function trackFor(type) {
  if (type === "voicemail") { return "voicemail"; }
  if (["promised-update", "warranty", "post-job", "estimate"].includes(type)) { return "followUp"; }
  return "call";
}

export function fillTrack(text, values) {
  return text.replace(/\{(customer|csr|shop)\}/g, (_, name) => values[name]);
}

export function paintTrack(element, item, context) {
  const settings = context.settings;
  const which = trackFor(item.type);
  const text = fillTrack(settings?.talkTracks?.[which] || FallbackTracks[which], { customer: item.accountName || "there", csr: context.me.name, shop: settings?.shopName || "our shop" });
  fill(element, h("h3", {}, "Say this first"), h("p", { class: "script" }, text));
}
