// The queue's saved views (the API's ?view=) and whether an item the live feed sent belongs in the one on screen.
// What a view holds is the server's rule (Views/ItemQueries.cs): a list the page reads is in the view by definition, and
// an item carries `views`, the views it is in, so the page never decides by itself.

export const Views = [
  { name: "abandoned", label: "Abandoned — 24 h" },
  { name: "voicemail", label: "Voicemails — 24 h" },
  { name: "after-hours", label: "After-hours" },
  { name: "mine", label: "My callbacks" },
  { name: "escalated", label: "Escalated" },
  { name: "open", label: "All open" },
];

export const viewLabel = (name) => Views.find((view) => view.name === name)?.label ?? "All open";

const isMine = (item, me) => item.primaryOwner?.id === me || item.backupOwner?.id === me;

/**
 * Whether a changed item belongs in `view` for the user `me`. `item.views` is the server's answer: the shared views
 * the item is in ("mine" is theirs to compute per reader, so it is "open" and owned by the reader).
 */
export function inView(view, item, me, now) {
  if (Array.isArray(item.views)) {
    return view === "mine" ? item.views.includes("open") && isMine(item, me) : item.views.includes(view);
  }
  return stopgapInView(view, item, me, now);
}

const DayMs = 24 * 3600 * 1000;

/**
 * Note: a stopgap until the API sends `views` on every item (list, detail and feed; docs/console.md, "What the API
 * should add"): the rules of Views/ItemQueries.cs's WHERE clauses, kept here and nowhere else in the page.
 */
function stopgapInView(view, item, me, now) {
  const open = item.status !== "completed";
  const recent = Date.parse(item.createdAt) >= now - DayMs;
  switch (view) {
    case "abandoned": return open && item.type === "abandoned" && recent;
    case "voicemail": return open && item.type === "voicemail" && recent;
    case "after-hours": return open && item.afterHours;
    case "mine": return open && isMine(item, me);
    case "escalated": return item.status === "escalated";
    default: return open;
  }
}
